//! Addressing: DHCP, and a static address when no DHCP server answers in time.

use core::net::Ipv4Addr;

use embassy_net::{ConfigV4, Ipv4Cidr, Stack, StaticConfigV4};
use embassy_time::{with_timeout, Duration};

/// How the appliance gets its address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Addressing {
    /// How long to wait for a DHCP lease before falling back.
    pub dhcp_wait: Duration,
    /// The address used without a lease.
    pub fallback: Ipv4Addr,
    /// Its prefix length.
    pub prefix: u8,
    /// The default gateway without a lease, if any.
    pub gateway: Option<Ipv4Addr>,
}

impl Addressing {
    /// DHCP for 5 s, then 10.0.2.15/24 (QEMU's customary guest address).
    pub const DEFAULT: Addressing = Addressing {
        dhcp_wait: Duration::from_secs(5),
        fallback: Ipv4Addr::new(10, 0, 2, 15),
        prefix: 24,
        gateway: None,
    };

    /// The static configuration used when DHCP does not answer.
    pub fn fallback_config(&self) -> StaticConfigV4 {
        StaticConfigV4 {
            address: Ipv4Cidr::new(self.fallback, self.prefix),
            gateway: self.gateway,
            dns_servers: heapless::Vec::new(),
        }
    }
}

/// Waits for the stack (started with DHCP) to get an address, falling back to the static one
/// after [`Addressing::dhcp_wait`]; returns the address in use.
pub async fn configure(stack: Stack<'_>, addressing: &Addressing) -> Ipv4Addr {
    if with_timeout(addressing.dhcp_wait, stack.wait_config_up()).await.is_err() {
        info!("no DHCP lease within the wait: static address {}", addressing.fallback);
        stack.set_config_v4(ConfigV4::Static(addressing.fallback_config()));
        stack.wait_config_up().await;
    }
    let addr = stack.config_v4().map_or(addressing.fallback, |c| c.address.address());
    info!("address {}", addr);
    addr
}
