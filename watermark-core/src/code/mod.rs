//! The code: keyed pseudo-random functions ([`prf`]) and the Tardos
//! statistics ([`tardos`]).

mod arcsine_table;
pub mod prf;
pub mod tardos;
