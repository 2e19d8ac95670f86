// acme's help is handshake's: the root help ends with the variables (ACME_SERVER, ACME_TOKEN…) and the exit codes.
export { HandshakeHelp as default } from 'handshake-compat/oclif';
