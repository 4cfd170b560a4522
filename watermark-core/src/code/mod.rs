//! The code: keyed pseudo-random functions ([`prf`]) and the Tardos
//! statistics ([`tardos`]).

pub mod prf;
pub mod tardos;
