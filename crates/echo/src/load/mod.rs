//! `forklab echo load`: a load generator for any TCP echo server.
