//! The realtime routes: `GET /api/realtime` opens a client's event stream, `POST /api/realtime`
//! sets what it listens to. The machinery behind them is [`crate::realtime`].

pub mod connect;
pub mod subscribe;
