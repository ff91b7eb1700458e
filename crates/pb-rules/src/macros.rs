//! The datetime macros (`@now`, `@todayStart`, `@year` …), evaluated in UTC against one
//! instant per compilation so that every macro of an expression agrees.
//!
//! Instants are formatted as PocketBase stores datetimes (`2024-01-02 03:04:05.678Z`), so they
//! compare as text with date fields; the calendar parts (`@year`, `@weekday` with Sunday = 0 …)
//! are integers.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Timelike, Utc};

use crate::sql::Param;

/// The value of macro `name` at `now`, or `None` when `name` is not a macro.
pub(crate) fn macro_value(name: &str, now: DateTime<Utc>) -> Option<Param> {
    let date = now.date_naive();
    let value = match name {
        "@now" => datetime(now),
        "@yesterday" => datetime(now - Duration::days(1)),
        "@tomorrow" => datetime(now + Duration::days(1)),
        "@second" => Param::Integer(i64::from(now.second())),
        "@minute" => Param::Integer(i64::from(now.minute())),
        "@hour" => Param::Integer(i64::from(now.hour())),
        "@day" => Param::Integer(i64::from(now.day())),
        "@month" => Param::Integer(i64::from(now.month())),
        "@weekday" => Param::Integer(i64::from(now.weekday().num_days_from_sunday())),
        "@year" => Param::Integer(i64::from(now.year())),
        "@todayStart" => day_start(date),
        "@todayEnd" => day_end(date),
        "@monthStart" => day_start(date.with_day(1).unwrap_or(date)),
        "@monthEnd" => day_end(last_day_of_month(date)),
        "@yearStart" => day_start(NaiveDate::from_ymd_opt(date.year(), 1, 1).unwrap_or(date)),
        "@yearEnd" => day_end(NaiveDate::from_ymd_opt(date.year(), 12, 31).unwrap_or(date)),
        _ => return None,
    };
    Some(value)
}

fn datetime(instant: DateTime<Utc>) -> Param {
    Param::Text(pb_core::datetime::format(instant))
}

fn day_start(date: NaiveDate) -> Param {
    match date.and_hms_milli_opt(0, 0, 0, 0) {
        Some(naive) => datetime(naive.and_utc()),
        None => Param::Text(String::new()),
    }
}

fn day_end(date: NaiveDate) -> Param {
    match date.and_hms_milli_opt(23, 59, 59, 999) {
        Some(naive) => datetime(naive.and_utc()),
        None => Param::Text(String::new()),
    }
}

fn last_day_of_month(date: NaiveDate) -> NaiveDate {
    let (year, month) = if date.month() == 12 {
        (date.year() + 1, 1)
    } else {
        (date.year(), date.month() + 1)
    };
    NaiveDate::from_ymd_opt(year, month, 1)
        .and_then(|first_of_next| first_of_next.pred_opt())
        .unwrap_or(date)
}

// Tests panic on purpose when something is off.
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn text(name: &str, now: DateTime<Utc>) -> String {
        match macro_value(name, now) {
            Some(Param::Text(text)) => text,
            other => panic!("{name}: {other:?}"),
        }
    }

    #[test]
    fn macros_at_a_fixed_instant() {
        let now =
            Utc.with_ymd_and_hms(2024, 2, 10, 13, 14, 15).unwrap() + Duration::milliseconds(123);
        assert_eq!(text("@now", now), "2024-02-10 13:14:15.123Z");
        assert_eq!(text("@yesterday", now), "2024-02-09 13:14:15.123Z");
        assert_eq!(text("@tomorrow", now), "2024-02-11 13:14:15.123Z");
        assert_eq!(text("@todayStart", now), "2024-02-10 00:00:00.000Z");
        assert_eq!(text("@todayEnd", now), "2024-02-10 23:59:59.999Z");
        assert_eq!(text("@monthStart", now), "2024-02-01 00:00:00.000Z");
        assert_eq!(text("@monthEnd", now), "2024-02-29 23:59:59.999Z");
        assert_eq!(text("@yearStart", now), "2024-01-01 00:00:00.000Z");
        assert_eq!(text("@yearEnd", now), "2024-12-31 23:59:59.999Z");
        assert_eq!(macro_value("@weekday", now), Some(Param::Integer(6)));
        assert_eq!(macro_value("@year", now), Some(Param::Integer(2024)));
        assert_eq!(macro_value("@month", now), Some(Param::Integer(2)));
        assert_eq!(macro_value("@day", now), Some(Param::Integer(10)));
        assert_eq!(macro_value("@hour", now), Some(Param::Integer(13)));
        assert_eq!(macro_value("@minute", now), Some(Param::Integer(14)));
        assert_eq!(macro_value("@second", now), Some(Param::Integer(15)));
        assert_eq!(macro_value("@rowid", now), None);
        let december = Utc.with_ymd_and_hms(2023, 12, 31, 23, 0, 0).unwrap();
        assert_eq!(text("@monthEnd", december), "2023-12-31 23:59:59.999Z");
    }
}
