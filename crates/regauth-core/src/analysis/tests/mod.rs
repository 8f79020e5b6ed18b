//! Hand-written scenarios for the auth engine: one per finding code and state-machine path.
//! Every capture here is a hand-written fixture built with [`builder::Scenario`].

pub(super) mod builder;
mod evidence;
mod limits;
mod mutations;
mod real_clients;
mod scenarios;
mod steps;
