//! Import and export of users (I1–I10, U1–U4, U7–U9, J1, J2) through the library's front
//! door, on SQLite and — with `ROSTER_TEST_DATABASE_URL` — on PostgreSQL.

pub mod kit;

mod cli;
mod csv;
mod kinds;
mod staged;
mod superiors;
mod users;
mod xml;
