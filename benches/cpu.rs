//! Where a load's CPU time went, read from Linux's `/proc`: the whole
//! machine's busy and idle time, and the time of chosen processes, between
//! two readings. A benchmark that shares the machine with its load generator
//! and its database uses it to say which of them the time went to.

use std::time::Duration;

/// CPU time used up to one moment: by the whole machine, and by each of
/// some processes (`None` for one that could not be read).
#[derive(Debug, Clone)]
pub struct CpuReading {
    busy: Duration,
    idle: Duration,
    processes: Vec<Option<Duration>>,
}

/// CPU time used between two readings.
#[derive(Debug, Clone)]
pub struct CpuUse {
    /// All cores' time doing anything, every process and the kernel.
    pub busy: Duration,
    /// All cores' time with nothing to run, or waiting for a disk.
    pub idle: Duration,
    /// Each process's time, in the order of the reading's `pids`.
    pub processes: Vec<Option<Duration>>,
}

impl CpuReading {
    /// Reads the machine's time and that of each of `pids`; `None` where
    /// `/proc` cannot be read (not Linux).
    pub fn now(pids: &[u32]) -> Option<Self> {
        let per_second = ticks_per_second()?;
        let time = |ticks: u64| {
            let nanos = u128::from(ticks) * 1_000_000_000 / u128::from(per_second);
            Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
        };
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let (busy, idle) = machine_ticks(&stat)?;
        let processes = pids
            .iter()
            .map(|pid| {
                let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
                process_ticks(&stat).map(time)
            })
            .collect();
        Some(Self {
            busy: time(busy),
            idle: time(idle),
            processes,
        })
    }

    /// What was used from this reading to `later`, taken of the same processes.
    pub fn until(&self, later: &Self) -> CpuUse {
        let processes = self
            .processes
            .iter()
            .zip(&later.processes)
            .map(|(before, after)| Some(after.as_ref()?.saturating_sub(*before.as_ref()?)))
            .collect();
        CpuUse {
            busy: later.busy.saturating_sub(self.busy),
            idle: later.idle.saturating_sub(self.idle),
            processes,
        }
    }
}

/// The process id of the running database server (`mariadbd` or `mysqld`),
/// if exactly one runs on this machine.
pub fn database_server() -> Option<u32> {
    let mut found = std::fs::read_dir("/proc").ok()?.filter_map(|entry| {
        let pid: u32 = entry.ok()?.file_name().to_str()?.parse().ok()?;
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
        matches!(comm.trim(), "mariadbd" | "mysqld").then_some(pid)
    });
    let first = found.next()?;
    found.next().is_none().then_some(first)
}

/// How many ticks of `/proc`'s counts make a second (`USER_HZ`), from `getconf`.
fn ticks_per_second() -> Option<u64> {
    let output = std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()?;
    let per_second: u64 = String::from_utf8(output.stdout).ok()?.trim().parse().ok()?;
    (per_second > 0).then_some(per_second)
}

/// The machine's busy and idle ticks, from the `cpu` line of `/proc/stat`:
/// user, nice, system, idle, iowait, irq, softirq, steal (guest time is
/// already in user).
fn machine_ticks(stat: &str) -> Option<(u64, u64)> {
    let line = stat.lines().find(|line| line.starts_with("cpu "))?;
    let fields: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .take(8)
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()?;
    let [user, nice, system, idle, iowait, irq, softirq, steal] = fields[..] else {
        return None;
    };
    Some((user + nice + system + irq + softirq + steal, idle + iowait))
}

/// A process's user and system ticks, fields 14 and 15 of `/proc/PID/stat`,
/// counted after its name, which may hold spaces and parentheses.
fn process_ticks(stat: &str) -> Option<u64> {
    let (_, rest) = stat.rsplit_once(')')?;
    let mut fields = rest.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    user.checked_add(system)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_machine_line_splits_into_busy_and_idle() {
        let stat = "cpu  100 2 30 400 5 6 7 8 9 0\ncpu0 1 1 1 1 1 1 1 1 0 0\n";
        assert_eq!(machine_ticks(stat), Some((100 + 2 + 30 + 6 + 7 + 8, 405)));
        assert_eq!(machine_ticks("cpu0 1 2 3\n"), None);
    }

    #[test]
    fn a_process_name_with_spaces_and_parentheses_does_not_shift_the_fields() {
        let stat = "42 (a (b) c) S 1 42 42 0 -1 4194560 100 0 0 0 17 4 0 0 20 0 3 0 5";
        assert_eq!(process_ticks(stat), Some(21));
    }

    #[test]
    fn a_process_that_spins_is_seen_using_time() {
        let me = std::process::id();
        let before = CpuReading::now(&[me]).unwrap();
        // Spins until a tick is counted for the process and for the machine,
        // however busy the machine is, but not forever: the kernel counts the
        // two apart, so one may show a tick the other has not yet added.
        let give_up = std::time::Instant::now() + Duration::from_secs(20);
        let mut x = 0_u64;
        let used = loop {
            for _ in 0..1_000_000 {
                x = std::hint::black_box(x.wrapping_add(1));
            }
            let used = before.until(&CpuReading::now(&[me]).unwrap());
            let seen = used.processes[0].unwrap() > Duration::ZERO && used.busy > Duration::ZERO;
            if seen || std::time::Instant::now() > give_up {
                break used;
            }
        };
        assert!(used.processes[0].unwrap() > Duration::ZERO, "{used:?}");
        assert!(used.busy > Duration::ZERO, "{used:?}");
        assert!(CpuReading::now(&[u32::MAX]).unwrap().processes[0].is_none());
    }
}
