//! An embassy-net driver for the SMSC LAN9118 Ethernet controller, as QEMU's mps2 boards model
//! it (at 0x4020_0000, IRQ 13 on the AN385/AN386).
//!
//! The controller has FIFOs rather than DMA rings: a received frame is a status word (its
//! length, CRC included) in the RX status FIFO and its bytes, little-endian in 32-bit words, in
//! the RX data FIFO; a frame to send is two command words and its bytes pushed into the TX data
//! FIFO. Receiving waits on the RX-status-FIFO-level interrupt (raised while the FIFO holds more
//! statuses than `FIFO_INT`'s level, 0 here); sending never waits in QEMU (the model sends as
//! soon as the last word is pushed) and on silicon waits for FIFO space by polling.
//!
//! The MAC filters: our unicast address, broadcast, and every multicast frame (SSDP's group).

use core::ptr::{read_volatile, write_volatile};
use core::task::Context;

use embassy_net_driver::{Capabilities, HardwareAddress, LinkState};
use embassy_sync::waitqueue::AtomicWaker;

/// The interrupt line on mps2-an385/an386.
pub const IRQ: u16 = 13;
/// Register block base on mps2-an385/an386.
pub const BASE: usize = 0x4020_0000;

const RX_DATA: usize = 0x00;
const TX_DATA: usize = 0x20;
const RX_STATUS: usize = 0x40;
const ID_REV: usize = 0x50;
const IRQ_CFG: usize = 0x54;
const INT_STS: usize = 0x58;
const INT_EN: usize = 0x5c;
const FIFO_INT: usize = 0x68;
const TX_CFG: usize = 0x70;
const HW_CFG: usize = 0x74;
const RX_FIFO_INF: usize = 0x7c;
const TX_FIFO_INF: usize = 0x80;
const MAC_CSR_CMD: usize = 0xa4;
const MAC_CSR_DATA: usize = 0xa8;

/// IRQ_CFG: enable, active high, push-pull.
const IRQ_EN_HIGH_PUSH_PULL: u32 = (1 << 8) | (1 << 4) | 1;
/// INT_STS/INT_EN: RX status FIFO level.
const RSFL: u32 = 1 << 3;
/// TX_CFG: transmitter on, TX status FIFO may overrun (we never read it).
const TX_ON_STATUS_OVERRUN: u32 = (1 << 1) | (1 << 2);
/// HW_CFG: soft reset.
const SRST: u32 = 1;
/// MAC_CSR_CMD: busy, read.
const CSR_BUSY: u32 = 1 << 31;
const CSR_READ: u32 = 1 << 30;
/// MAC registers.
const MAC_CR: u32 = 1;
const MAC_ADDRH: u32 = 2;
const MAC_ADDRL: u32 = 3;
/// MAC_CR: receive, transmit, full duplex, pass all multicast.
const MAC_CR_ON: u32 = (1 << 2) | (1 << 3) | (1 << 20) | (1 << 19);
/// RX status: error summary.
const RX_ERROR: u32 = 1 << 15;
/// TX command A: first and last segment.
const TX_FIRST_LAST: u32 = (1 << 13) | (1 << 12);

/// Largest frame handled (1514 bytes plus CRC, rounded to words).
const FRAME: usize = 1536;

static RX_WAKER: AtomicWaker = AtomicWaker::new();

/// What can go wrong bringing the controller up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// No LAN9118 answers at the base address.
    NotFound(u32),
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Error::NotFound(id) => write!(f, "ID_REV {id:#010x} is no LAN9118's"),
        }
    }
}

/// The controller, with one frame buffer each way.
pub struct Lan9118 {
    base: usize,
    mac: [u8; 6],
    rx: [u8; FRAME],
    tx: [u8; FRAME],
}

impl Lan9118 {
    /// Resets the controller at `base` and starts it. The caller routes its interrupt to
    /// [`on_interrupt`].
    ///
    /// # Safety
    /// `base` must be the register block of a LAN9118 that nothing else uses.
    pub unsafe fn new(base: usize) -> Result<Self, Error> {
        let mut eth = Lan9118 { base, mac: [0; 6], rx: [0; FRAME], tx: [0; FRAME] };
        let id = eth.read(ID_REV);
        if id >> 16 != 0x0118 {
            return Err(Error::NotFound(id));
        }
        eth.write(HW_CFG, SRST);
        while eth.read(HW_CFG) & SRST != 0 {}
        let high = eth.mac_read(MAC_ADDRH).to_le_bytes();
        let low = eth.mac_read(MAC_ADDRL).to_le_bytes();
        eth.mac = [low[0], low[1], low[2], low[3], high[0], high[1]];
        eth.mac_write(MAC_CR, MAC_CR_ON);
        eth.write(TX_CFG, TX_ON_STATUS_OVERRUN);
        eth.write(FIFO_INT, 0x4800_0000);
        eth.write(IRQ_CFG, IRQ_EN_HIGH_PUSH_PULL);
        eth.write(INT_STS, u32::MAX);
        eth.write(INT_EN, RSFL);
        Ok(eth)
    }

    /// The MAC address the controller was given (QEMU: `-nic ...,macaddr=`).
    pub fn mac(&self) -> [u8; 6] {
        self.mac
    }

    fn read(&self, reg: usize) -> u32 {
        // SAFETY: `reg` is one of the offsets above, inside the register block `new` was
        // given; MMIO registers are read with volatile word accesses.
        unsafe { read_volatile((self.base + reg) as *const u32) }
    }

    fn write(&self, reg: usize, value: u32) {
        // SAFETY: as in `read`.
        unsafe { write_volatile((self.base + reg) as *mut u32, value) }
    }

    fn mac_read(&self, reg: u32) -> u32 {
        self.write(MAC_CSR_CMD, CSR_BUSY | CSR_READ | reg);
        while self.read(MAC_CSR_CMD) & CSR_BUSY != 0 {}
        self.read(MAC_CSR_DATA)
    }

    fn mac_write(&self, reg: u32, value: u32) {
        self.write(MAC_CSR_DATA, value);
        self.write(MAC_CSR_CMD, CSR_BUSY | reg);
        while self.read(MAC_CSR_CMD) & CSR_BUSY != 0 {}
    }

    /// Pops the next received frame into `self.rx`; its length, or `None` if there is none
    /// (frames with errors or too long are dropped and the next one tried).
    fn pop_frame(&mut self) -> Option<usize> {
        while (self.read(RX_FIFO_INF) >> 16) & 0xff != 0 {
            let status = self.read(RX_STATUS);
            let len = ((status >> 16) & 0x3fff) as usize;
            let words = len.div_ceil(4);
            let keep = status & RX_ERROR == 0 && words * 4 <= FRAME && len > 4;
            for i in 0..words {
                let word = self.read(RX_DATA).to_le_bytes();
                if keep {
                    if let Some(dst) = self.rx.get_mut(i * 4..i * 4 + 4) {
                        dst.copy_from_slice(&word);
                    }
                }
            }
            if keep {
                // The status length counts the 4-byte CRC.
                return Some(len - 4);
            }
        }
        None
    }

    /// Whether the TX FIFO has room for a whole frame and its command words.
    fn tx_room(&self) -> bool {
        (self.read(TX_FIFO_INF) & 0xffff) as usize >= FRAME + 8
    }
}

/// Handles the controller's interrupt: acknowledges it and wakes the receiver.
pub fn on_interrupt() {
    // SAFETY: INT_STS is write-one-to-clear; clearing RSFL touches nothing the driver's own
    // accesses depend on (they read the FIFO levels, not INT_STS).
    unsafe { write_volatile((BASE + INT_STS) as *mut u32, RSFL) };
    RX_WAKER.wake();
}

/// A received frame.
pub struct Rx<'a>(&'a mut [u8]);

/// Room for a frame to send.
pub struct Tx<'a> {
    base: usize,
    buf: &'a mut [u8; FRAME],
}

impl embassy_net_driver::RxToken for Rx<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, f: F) -> R {
        f(self.0)
    }
}

impl embassy_net_driver::TxToken for Tx<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let len = len.min(FRAME - 4);
        let frame = &mut self.buf[..len];
        let result = f(frame);
        let push = |value: u32| {
            // SAFETY: TX_DATA is the TX FIFO port of the controller `new` started.
            unsafe { write_volatile((self.base + TX_DATA) as *mut u32, value) }
        };
        push(TX_FIRST_LAST | len as u32);
        push(((len as u32) << 16) | len as u32);
        for chunk in self.buf[..len].chunks(4) {
            let mut word = [0u8; 4];
            word[..chunk.len()].copy_from_slice(chunk);
            push(u32::from_le_bytes(word));
        }
        result
    }
}

impl embassy_net_driver::Driver for Lan9118 {
    type RxToken<'a> = Rx<'a>;
    type TxToken<'a> = Tx<'a>;

    fn receive(&mut self, cx: &mut Context<'_>) -> Option<(Rx<'_>, Tx<'_>)> {
        // Register first, then look: a frame arriving in between still wakes us.
        RX_WAKER.register(cx.waker());
        if !self.tx_room() {
            cx.waker().wake_by_ref();
            return None;
        }
        let len = self.pop_frame()?;
        let base = self.base;
        Some((Rx(&mut self.rx[..len]), Tx { base, buf: &mut self.tx }))
    }

    fn transmit(&mut self, cx: &mut Context<'_>) -> Option<Tx<'_>> {
        if !self.tx_room() {
            // Silicon only (QEMU sends at once): poll again soon.
            cx.waker().wake_by_ref();
            return None;
        }
        Some(Tx { base: self.base, buf: &mut self.tx })
    }

    fn link_state(&mut self, _cx: &mut Context<'_>) -> LinkState {
        LinkState::Up
    }

    fn capabilities(&self) -> Capabilities {
        let mut caps = Capabilities::default();
        caps.max_transmission_unit = 1514;
        caps
    }

    fn hardware_address(&self) -> HardwareAddress {
        HardwareAddress::Ethernet(self.mac)
    }
}
