//! The portal (R1–R7, J2, issue 6) through the front door: login layouts, registration with
//! its field rules and allowed domains, the three flows, the approval queue limited to the
//! approver's organisation unit, invitations whose return target survives confirmation and
//! approval, and the mails of each step in every language.

pub mod kit;

mod approval;
mod invitation;
mod looks;
mod mails;
mod registration;
