//! Roster: multi-tenant people management for learning platforms.
//!
//! Data flows one way: descriptors → [`tenancy`] → [`store`]; requests → [`web`] →
//! [`authz`] → [`domain`] → [`store`]. See `docs/` for the architecture and operations.

pub mod app;
pub mod auth;
pub mod authz;
pub mod cli;
pub mod config;
pub mod domain;
pub mod error;
pub mod export;
pub mod import;
pub mod jobs;
pub mod mail;
pub mod store;
pub mod telemetry;
pub mod tenancy;
pub mod web;

pub use error::{Error, Result};
