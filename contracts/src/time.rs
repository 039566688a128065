//! Formatting block times (ms since the Unix epoch, UTC) as RFC 3339 / XML Schema `dateTime`
//! strings for DID resolution metadata. Pure arithmetic; never reads a clock.

/// Milliseconds per day.
pub const MS_PER_DAY: u64 = 86_400_000;

/// `YYYY-MM-DDTHH:MM:SSZ` for `ms` since 1970-01-01T00:00:00Z (sub-second part dropped, as DID
/// Resolution metadata normalises to whole seconds).
pub fn format_utc_seconds(ms: u64) -> String {
    let days = ms / MS_PER_DAY;
    let second_of_day = (ms % MS_PER_DAY) / 1000;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        second_of_day / 3600,
        (second_of_day / 60) % 60,
        second_of_day % 60
    )
}

/// Proleptic Gregorian (year, month, day) of a day count since 1970-01-01.
///
/// Counts in 400-year eras of 146 097 days starting on 0000-03-01, so that the leap day is the
/// last day of each era-year; then year-of-era, day-of-year and a March-based month.
fn civil_from_days(days_since_epoch: u64) -> (u64, u64, u64) {
    // 719 468 days from 0000-03-01 to 1970-01-01.
    let z = days_since_epoch + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        assert_eq!(format_utc_seconds(0), "1970-01-01T00:00:00Z");
        // 2000-02-29 (a leap day in a century leap year) 12:34:56.789.
        assert_eq!(format_utc_seconds(951_827_696_789), "2000-02-29T12:34:56Z");
        // 2024-12-31T23:59:59Z.
        assert_eq!(
            format_utc_seconds(1_735_689_599_000),
            "2024-12-31T23:59:59Z"
        );
        // 2100-03-01 (2100 is not a leap year).
        assert_eq!(
            format_utc_seconds(4_107_542_400_000),
            "2100-03-01T00:00:00Z"
        );
        assert!(format_utc_seconds(u64::MAX).ends_with('Z'));
    }

    #[test]
    fn day_boundaries_are_monotonic() {
        let mut previous = String::new();
        for day in 0..3000u64 {
            let text = format_utc_seconds(day * MS_PER_DAY);
            assert!(text > previous, "{text} after {previous}");
            previous = text;
        }
    }
}
