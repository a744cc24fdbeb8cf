//! Server-rendered pages (minijinja), embedded in the binary.
