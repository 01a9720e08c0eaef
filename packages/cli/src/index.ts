/** @frec/cli: the `frec` command. */
export { main, buildProgram } from './main.js';
