//! PocketBase's cron expressions: five space-separated fields (minute, hour, day of month,
//! month, day of week) with `*`, `a-b` ranges, `/n` steps and `,` lists, or one of the macros
//! `@yearly @annually @monthly @weekly @daily @midnight @hourly`.
//!
//! Written here rather than taken from a crate because PocketBase's semantics differ from
//! Vixie cron's in ways the common crates follow: a moment is due only when *all five* fields
//! match (day of month and day of week are ANDed, not ORed), there is no seconds field, day of
//! week is 0–6 only, and a step is only allowed after `*` or a range. Moments are judged in UTC.

use chrono::{DateTime, Datelike, Timelike, Utc};

/// A parsed expression: the set of allowed values of each field, as bit masks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    minutes: u64,
    hours: u64,
    days: u64,
    months: u64,
    days_of_week: u64,
    expression: String,
}

/// Why an expression is not a schedule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CronError {
    #[error("invalid cron expression - must be a valid macro or to have exactly 5 space separated segments")]
    SegmentCount,
    #[error("invalid number {0:?}")]
    Number(String),
    #[error("invalid segment step {0:?} - must be between 1 and {1}")]
    Step(String, u32),
    #[error("invalid segment step format {0:?}")]
    StepFormat(String),
    #[error("a step is only allowed after * or a range: {0:?}")]
    StepWithoutRange(String),
    #[error("value {0} out of range {1}-{2}")]
    OutOfRange(u32, u32, u32),
    #[error("invalid range {0:?}")]
    Range(String),
}

const MACROS: [(&str, &str); 7] = [
    ("@yearly", "0 0 1 1 *"),
    ("@annually", "0 0 1 1 *"),
    ("@monthly", "0 0 1 * *"),
    ("@weekly", "0 0 * * 0"),
    ("@daily", "0 0 * * *"),
    ("@midnight", "0 0 * * *"),
    ("@hourly", "0 * * * *"),
];

impl Schedule {
    /// Parses an expression. Fields are separated by exactly one space, as in PocketBase.
    pub fn parse(expression: &str) -> Result<Schedule, CronError> {
        let expanded = MACROS
            .iter()
            .find(|(name, _)| *name == expression)
            .map_or(expression, |(_, expansion)| expansion);
        let segments: Vec<&str> = expanded.split(' ').collect();
        let [minute, hour, day, month, day_of_week] = segments.as_slice() else {
            return Err(CronError::SegmentCount);
        };
        Ok(Schedule {
            minutes: parse_segment(minute, 0, 59)?,
            hours: parse_segment(hour, 0, 23)?,
            days: parse_segment(day, 1, 31)?,
            months: parse_segment(month, 1, 12)?,
            days_of_week: parse_segment(day_of_week, 0, 6)?,
            expression: expression.to_string(),
        })
    }

    /// The expression as given (a macro stays a macro).
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// Whether the minute containing `moment` is due.
    pub fn is_due(&self, moment: DateTime<Utc>) -> bool {
        let has = |mask: u64, value: u32| mask & (1u64 << value) != 0;
        has(self.minutes, moment.minute())
            && has(self.hours, moment.hour())
            && has(self.days, moment.day())
            && has(self.months, moment.month())
            && has(self.days_of_week, moment.weekday().num_days_from_sunday())
    }
}

fn number(text: &str) -> Result<u32, CronError> {
    text.parse::<u32>()
        .map_err(|_| CronError::Number(text.to_string()))
}

fn parse_segment(segment: &str, min: u32, max: u32) -> Result<u64, CronError> {
    let mut mask = 0u64;
    for part in segment.split(',') {
        let mut step_parts = part.split('/');
        let range = step_parts.next().unwrap_or("");
        let step = match (step_parts.next(), step_parts.next()) {
            (None, _) => 1,
            (Some(step), None) => {
                let step = number(step)?;
                if step < 1 || step > max {
                    return Err(CronError::Step(part.to_string(), max));
                }
                step
            }
            (Some(_), Some(_)) => return Err(CronError::StepFormat(part.to_string())),
        };
        let (low, high) = if range == "*" {
            (min, max)
        } else {
            let bounds: Vec<&str> = range.split('-').collect();
            match bounds.as_slice() {
                [single] => {
                    if step != 1 {
                        return Err(CronError::StepWithoutRange(part.to_string()));
                    }
                    let value = number(single)?;
                    (value, value)
                }
                [low, high] => {
                    let (low, high) = (number(low)?, number(high)?);
                    if high < low {
                        return Err(CronError::Range(range.to_string()));
                    }
                    (low, high)
                }
                _ => return Err(CronError::Range(range.to_string())),
            }
        };
        for value in [low, high] {
            if value < min || value > max {
                return Err(CronError::OutOfRange(value, min, max));
            }
        }
        let mut value = low;
        while value <= high {
            mask |= 1u64 << value;
            value += step;
        }
    }
    Ok(mask)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(year: i32, month: u32, day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(year, month, day, hour, minute, 0)
            .unwrap()
    }

    #[test]
    fn the_system_schedules_fire_when_pocketbase_s_do() {
        let every_six_hours = Schedule::parse("0 */6 * * *").unwrap();
        assert!(every_six_hours.is_due(at(2026, 11, 22, 0, 0)));
        assert!(every_six_hours.is_due(at(2026, 11, 22, 18, 0)));
        assert!(!every_six_hours.is_due(at(2026, 11, 22, 18, 1)));
        assert!(!every_six_hours.is_due(at(2026, 11, 22, 7, 0)));
        let daily = Schedule::parse("0 0 * * *").unwrap();
        assert!(daily.is_due(at(2026, 1, 1, 0, 0)));
        assert!(!daily.is_due(at(2026, 1, 1, 1, 0)));
    }

    #[test]
    fn ranges_steps_and_lists() {
        let schedule = Schedule::parse("5,10-20/5 1-3 * * *").unwrap();
        for minute in [5, 10, 15, 20] {
            assert!(schedule.is_due(at(2026, 3, 3, 2, minute)), "{minute}");
        }
        for minute in [0, 6, 11, 25] {
            assert!(!schedule.is_due(at(2026, 3, 3, 2, minute)), "{minute}");
        }
        assert!(!schedule.is_due(at(2026, 3, 3, 4, 5)));
    }

    #[test]
    fn day_of_month_and_day_of_week_must_both_match() {
        // 2026-11-22 is a Sunday.
        let schedule = Schedule::parse("0 0 22 * 1").unwrap();
        assert!(!schedule.is_due(at(2026, 11, 22, 0, 0)));
        assert!(!schedule.is_due(at(2026, 11, 23, 0, 0)));
        let sunday_22nd = Schedule::parse("0 0 22 * 0").unwrap();
        assert!(sunday_22nd.is_due(at(2026, 11, 22, 0, 0)));
    }

    #[test]
    fn macros_expand_and_keep_their_text() {
        let weekly = Schedule::parse("@weekly").unwrap();
        assert_eq!(weekly.expression(), "@weekly");
        assert!(weekly.is_due(at(2026, 11, 22, 0, 0)));
        assert!(!weekly.is_due(at(2026, 11, 23, 0, 0)));
        assert_eq!(
            Schedule::parse("@yearly").unwrap().minutes,
            Schedule::parse("@annually").unwrap().minutes
        );
        assert!(Schedule::parse("@monthly")
            .unwrap()
            .is_due(at(2026, 2, 1, 0, 0)));
        assert!(Schedule::parse("@hourly")
            .unwrap()
            .is_due(at(2026, 2, 5, 13, 0)));
        assert!(Schedule::parse("@midnight")
            .unwrap()
            .is_due(at(2026, 2, 5, 0, 0)));
    }

    #[test]
    fn rejects_what_pocketbase_rejects() {
        for bad in [
            "",
            "* * * *",
            "* * * * * *",
            "*  * * * *",
            "60 * * * *",
            "* 24 * * *",
            "* * 0 * *",
            "* * * 13 *",
            "* * * * 7",
            "5/2 * * * *",
            "*/0 * * * *",
            "*/61 * * * *",
            "1/2/3 * * * *",
            "5-1 * * * *",
            "1-2-3 * * * *",
            "a * * * *",
            "@every",
        ] {
            assert!(Schedule::parse(bad).is_err(), "{bad:?}");
        }
    }
}
