//! How fast the rehearsal goes. A real deploy takes minutes; the drill's
//! take seconds (and less in rewind's own tests), and it says so. The
//! restore margin is as short as the drill's minutes-apart releases need.

use std::time::Duration;

use rewind_core::follow::FollowOptions;

#[derive(Debug, Clone)]
pub struct Pace {
    /// How long the sandbox takes for one deploy.
    pub deploy: Duration,
    /// How long before the bad deploy the database is restored to.
    pub margin: Duration,
    /// Pause between the last good writes and the bad deploy: longer than
    /// the margin and a second, so that those writes fall before the
    /// restore point, which is the bad deploy less the margin rounded down
    /// to the second (`db::restore_instant`), also with a real PostgreSQL
    /// (which restores by the time a row was written, not by its date).
    pub quiet: Duration,
    /// Pause between two reads of a deploy, a backup or a restore.
    pub poll: Duration,
    /// Pause between two health check tries.
    pub health_interval: Duration,
}

impl Pace {
    /// A rehearsal a person watches: a couple of seconds per deploy.
    pub fn normal() -> Pace {
        Pace {
            deploy: Duration::from_millis(2000),
            margin: Duration::from_millis(1000),
            quiet: Duration::from_millis(2200),
            poll: Duration::from_millis(250),
            health_interval: Duration::from_millis(500),
        }
    }

    /// rewind's own tests (`REWIND_DRILL_SPEED=test`).
    pub fn test() -> Pace {
        Pace {
            deploy: Duration::from_millis(150),
            margin: Duration::from_millis(200),
            quiet: Duration::from_millis(1300),
            poll: Duration::from_millis(50),
            health_interval: Duration::from_millis(100),
        }
    }

    /// How the drill follows a deploy: long enough for forty of its
    /// deploys and half a minute, read at the pace's poll.
    pub fn follow_options(&self) -> FollowOptions {
        FollowOptions {
            timeout: self.deploy * 40 + Duration::from_secs(30),
            poll_interval: self.poll,
            use_stream: true,
        }
    }

    /// Where a restore to before a deploy created at `created` goes: its
    /// creation less the app's margin (the pace's when the app has no
    /// database section), in whole seconds, the instant every restore
    /// path of rewind goes back to.
    pub fn restore_point(
        &self,
        app: &rewind_core::config::AppConfig,
        created: chrono::DateTime<chrono::Utc>,
    ) -> chrono::DateTime<chrono::Utc> {
        let margin = app.database.as_ref().map_or(self.margin, |d| d.margin);
        chrono::SubsecRound::trunc_subsecs(
            created
                - chrono::Duration::from_std(margin).unwrap_or_else(|_| chrono::Duration::zero()),
            0,
        )
    }

    /// From `REWIND_DRILL_SPEED`: `test` for the tests' pace, anything
    /// else (or nothing) for the normal one.
    pub fn from_speed(speed: Option<&str>) -> Pace {
        match speed {
            Some("test") => Pace::test(),
            _ => Pace::normal(),
        }
    }
}
