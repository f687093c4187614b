//! Logging shim: the same calls log through `defmt` on boards with a probe, through `log` on the
//! host simulation and on QEMU's UART, and compile to nothing with neither feature.
//!
//! Format strings must use only `{}` (and `{:?}` for types deriving both `Debug` and
//! `defmt::Format`), the subset both back ends understand; arguments implement `Display` and
//! `defmt::Format`.
#![macro_use]
#![allow(unused_macros)]

#[cfg(all(feature = "defmt", feature = "log"))]
compile_error!("rill-firmware: enable at most one of the features `defmt` and `log`");

macro_rules! log_at {
    ($defmt:ident, $log:ident, $s:literal $(, $x:expr)* $(,)?) => {{
        #[cfg(feature = "defmt")]
        ::defmt::$defmt!($s $(, $x)*);
        #[cfg(feature = "log")]
        ::log::$log!($s $(, $x)*);
        #[cfg(not(any(feature = "defmt", feature = "log")))]
        let _ = ($(&$x,)*);
    }};
}

macro_rules! debug {
    ($($t:tt)*) => { log_at!(debug, debug, $($t)*) };
}

macro_rules! info {
    ($($t:tt)*) => { log_at!(info, info, $($t)*) };
}

macro_rules! warn {
    ($($t:tt)*) => { log_at!(warn, warn, $($t)*) };
}
