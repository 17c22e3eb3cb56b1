//! Durations in words for plans a person must read before confirming:
//! "about 37 minutes", "about 2 hours 5 minutes".

/// `d` rounded to what matters when deciding.
pub fn about(d: chrono::Duration) -> String {
    let secs = d.num_seconds().max(0);
    if secs < 60 {
        return "less than a minute".to_string();
    }
    let minutes = (secs + 30) / 60;
    let plural = |n: i64, unit: &str| {
        if n == 1 {
            format!("1 {unit}")
        } else {
            format!("{n} {unit}s")
        }
    };
    if minutes < 60 {
        return format!("about {}", plural(minutes, "minute"));
    }
    let hours = minutes / 60;
    if hours >= 48 {
        return format!("about {}", plural((hours + 12) / 24, "day"));
    }
    match minutes % 60 {
        0 => format!("about {}", plural(hours, "hour")),
        m => format!("about {} {}", plural(hours, "hour"), plural(m, "minute")),
    }
}

#[cfg(test)]
mod tests {
    use super::about;
    use chrono::Duration;

    #[test]
    fn rounds_to_what_matters() {
        assert_eq!(about(Duration::seconds(20)), "less than a minute");
        assert_eq!(about(Duration::seconds(89)), "about 1 minute");
        assert_eq!(about(Duration::minutes(37)), "about 37 minutes");
        assert_eq!(about(Duration::minutes(120)), "about 2 hours");
        assert_eq!(about(Duration::minutes(125)), "about 2 hours 5 minutes");
        assert_eq!(about(Duration::hours(75)), "about 3 days");
    }
}
