//! The HTTP `Date` format (RFC 9110 §5.6.7 IMF-fixdate): `Sun, 06 Nov 1994 08:49:37 GMT`.
//!
//! The core has no clock; shells pass the current Unix time in seconds. The calendar arithmetic
//! is the proleptic Gregorian "civil from days" conversion (400-year eras of 146 097 days), done
//! in unsigned integers with no overflow for any `u64` input; years past 9999 simply print with
//! more digits.

use core::fmt;

const DAY_NAMES: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTH_NAMES: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// A calendar date in the proleptic Gregorian calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct CivilDate {
    /// The year, e.g. 1994.
    pub year: u64,
    /// The month, 1 to 12.
    pub month: u8,
    /// The day of the month, 1 to 31.
    pub day: u8,
}

/// The date `days` days after 1970-01-01.
pub const fn civil_from_days(days: u64) -> CivilDate {
    // Shift the epoch to 0000-03-01 so the leap day is the last day of a "year".
    // `days` is at most u64::MAX / 86400 when it comes from seconds, but even u64::MAX does not
    // overflow: the shift saturates and the rest only divides and subtracts smaller values.
    let z = days.saturating_add(719_468);
    let era = z / 146_097;
    // The day of the era fits 32 bits, so the rest divides in 32 bits: on the 32-bit boards a
    // 64-bit division is a call to the runtime's long division, with its argument set-up.
    let doe = (z - era * 146_097) as u32; // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365], from March 1st
    let mp = (5 * doy + 2) / 153; // [0, 11], March = 0
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8; // [1, 31]
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8; // [1, 12]
    let year =
        era.saturating_mul(400).saturating_add(yoe as u64).saturating_add((month <= 2) as u64);
    CivilDate { year, month, day }
}

/// A Unix time formatted as an IMF-fixdate by its [`fmt::Display`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct HttpDate(u64);

impl HttpDate {
    /// The date `secs` seconds after 1970-01-01T00:00:00Z.
    pub const fn from_unix(secs: u64) -> Self {
        HttpDate(secs)
    }

    /// Seconds since the Unix epoch.
    pub const fn unix_secs(self) -> u64 {
        self.0
    }
}

impl fmt::Display for HttpDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days = self.0 / 86_400;
        // Below 86,400: 32-bit arithmetic (no runtime long division on the boards).
        let secs = (self.0 % 86_400) as u32;
        let date = civil_from_days(days);
        // 1970-01-01 was a Thursday.
        let weekday = DAY_NAMES.get(((days % 7 + 4) % 7) as usize).copied().unwrap_or("???");
        let month =
            MONTH_NAMES.get(usize::from(date.month).wrapping_sub(1)).copied().unwrap_or("???");
        write!(
            f,
            "{weekday}, {:02} {month} {:04} {:02}:{:02}:{:02} GMT",
            date.day,
            date.year,
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An independent reference: walk the calendar a year and then a month at a time.
    fn walk(mut days: u64) -> CivilDate {
        let leap = |y: u64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        let mut year = 1970;
        loop {
            let len = if leap(year) { 366 } else { 365 };
            if days < len {
                break;
            }
            days -= len;
            year += 1;
        }
        let lengths =
            [31, if leap(year) { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
        let mut month = 0;
        while days >= lengths[month] {
            days -= lengths[month];
            month += 1;
        }
        CivilDate { year, month: month as u8 + 1, day: days as u8 + 1 }
    }

    #[test]
    fn civil_from_days_matches_a_calendar_walk() {
        // Every day from 1970 to past 2400 (covers 1972, 2000 and 2400 leap rules, 2100 no leap).
        let mut reference = CivilDate { year: 1970, month: 1, day: 1 };
        for days in 0..160_000u64 {
            let got = civil_from_days(days);
            if days % 997 == 0 {
                reference = walk(days);
                assert_eq!(got, reference, "day {days}");
            }
            assert!((1..=12).contains(&got.month) && (1..=31).contains(&got.day));
        }
        assert!(reference.year > 2400);
        for days in [59, 60, 365 + 59, 730 + 59, 730 + 60, 11_016, 11_017, 47_541, 47_542] {
            assert_eq!(civil_from_days(days), walk(days), "day {days}");
        }
    }

    #[test]
    fn formats_imf_fixdate() {
        // The example of RFC 9110 §5.6.7.
        assert_eq!(HttpDate::from_unix(784_111_777).to_string(), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(HttpDate::from_unix(0).to_string(), "Thu, 01 Jan 1970 00:00:00 GMT");
        // 2000-02-29 23:59:59, a leap day in a century year.
        assert_eq!(HttpDate::from_unix(951_868_799).to_string(), "Tue, 29 Feb 2000 23:59:59 GMT");
        // 2038-01-19 03:14:08, one past i32.
        assert_eq!(HttpDate::from_unix(2_147_483_648).to_string(), "Tue, 19 Jan 2038 03:14:08 GMT");
        // The largest input formats without panicking.
        assert!(HttpDate::from_unix(u64::MAX).to_string().ends_with(" GMT"));
        assert_eq!(civil_from_days(u64::MAX).month, civil_from_days(u64::MAX).month.clamp(1, 12));
    }
}
