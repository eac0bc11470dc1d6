// Express 4 is installed under the alias `express4`, beside Express 5; its API types are Express's.
declare module 'express4' {
  import express from 'express';
  export default express;
}
