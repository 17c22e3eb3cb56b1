//! The sandbox's own tests, written with a plain HTTP client (ureq) and a
//! plain WebSocket client (tungstenite), never with rewind-core: the sandbox
//! must be right on its own.

mod harness;

mod admin;
mod app_url;
mod auth;
mod clients;
mod database;
mod deployments;
mod faults;
mod persist;
mod platform;
mod postgres;
mod scm;
mod stream;
mod variants;
