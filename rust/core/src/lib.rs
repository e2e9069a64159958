//! The planning core of outreach-rules, in the three stages of the Python planner.
//!
//! - [`reading`]: the data contract in: customer and event records, checked.
//! - [`triggers`]: stage 1, triggers propose (history, conditions, proposals).
//! - [`time`] and [`guards`]: stage 2, guards place proposals in time (zones, the
//!   next-allowed algebra and its fixpoint; guard specs, consent and channels).
//! - [`arbitration`]: stage 3, proposals placed in priority order on a channel.
//! - [`records`]: the data contract out: decision records as JSON Lines or CSV.
//! - [`batch`]: whole files planned: read, checked, grouped by customer in bounded memory
//!   (sorted runs on disk where the files are not sorted), planned in threads, written.
//!
//! [`policy`] is the compiled policy Python hands over; [`model`] the vocabulary.
//! Nothing here reads a clock or the environment: zones, holidays and unusual instants
//! come from a [`time::Sources`], which the Python binding fills from `zoneinfo` and
//! `holidays`.

pub mod arbitration;
pub mod batch;
pub mod error;
pub mod guards;
pub mod model;
pub mod policy;
pub mod reading;
pub mod records;
pub mod time;
pub mod triggers;

pub use error::{CoreError, ErrorKind, Result};
