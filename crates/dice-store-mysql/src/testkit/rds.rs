//! A stand-in for RDS's check of IAM auth tokens, on a
//! [`PrivateServer`](super::server::PrivateServer): MariaDB's `auth_pam`
//! plugin, set to take the password in clear text as RDS does
//! (`pam_use_cleartext_plugin`), hands it to a PAM service whose `pam_exec`
//! script accepts exactly the tokens the test computed as valid, and writes
//! down every token presented.
//!
//! PAM reads services from `/etc/pam.d` only, so [`TokenCheck::install`]
//! writes one there (as root, which the tests run as) and removes it when
//! dropped. The plugin runs PAM in `auth_pam_tool`, which Debian's
//! mariadb-server package ships beside the plugin.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::{AuthToken, IamAuth, TOKEN_LIFETIME};

/// Where Debian's mariadb-server puts the helper the `auth_pam` plugin runs.
pub const AUTH_PAM_TOOL: &str = "/usr/lib/mysql/plugin/auth_pam_tool_dir/auth_pam_tool";

/// Server options that load the plugin and make it ask for the password in
/// clear text (`mysql_clear_password`), as RDS does for IAM tokens.
pub const SERVER_OPTIONS: [&str; 2] = [
    "--plugin-load-add=auth_pam",
    "--pam-use-cleartext-plugin=ON",
];

/// How `deploy/app-user.sql` makes its user log in: RDS's IAM plugin.
pub const IAM_CLAUSE: &str = "IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'";

/// The statements of `deploy/app-user.sql` (its text, passed in as `sql`) for
/// `user` on `database`, each without its comments, with [`IAM_CLAUSE`]
/// replaced by `identified` (say, `IDENTIFIED VIA pam USING 'service'`).
///
/// # Panics
///
/// When `sql` has no [`IAM_CLAUSE`] to replace.
pub fn app_user_statements(sql: &str, user: &str, database: &str, identified: &str) -> Vec<String> {
    assert!(
        sql.contains(IAM_CLAUSE),
        "app-user.sql no longer says {IAM_CLAUSE}"
    );
    sql.replace(IAM_CLAUSE, identified)
        .replace("${APP_USER}", user)
        .replace("${DB_NAME}", database)
        .split(';')
        .map(|statement| {
            statement
                .lines()
                .filter(|line| !line.starts_with("--"))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .filter(|statement| !statement.trim().is_empty())
        .collect()
}

/// `pam_exec` passes the password on stdin, NUL-terminated and cut at 511
/// bytes (PAM_MAX_RESP_SIZE - 1): the script refuses a token that long rather
/// than judge a part of it, so the tests keep their tokens shorter.
const PAM_EXEC_LIMIT: usize = 511;

/// A PAM service that logs in whoever presents one of the accepted tokens.
pub struct TokenCheck {
    dir: PathBuf,
    service: String,
    pam_file: PathBuf,
}

impl TokenCheck {
    /// Writes the check script into `dir` and its PAM service into
    /// `/etc/pam.d`. Accepts nothing until told.
    ///
    /// # Panics
    ///
    /// When `auth_pam_tool` is missing or `/etc/pam.d` is not writable (not root).
    pub fn install(dir: &Path) -> Self {
        assert!(
            Path::new(AUTH_PAM_TOOL).is_file(),
            "{AUTH_PAM_TOOL} is missing: the auth_pam plugin needs it. Debian's mariadb-server \
             package ships it; scripts/mariadb.sh restores it"
        );
        let dir = dir.to_path_buf();
        let script = dir.join("check-token.sh");
        let d = dir.display();
        std::fs::write(
            &script,
            format!(
                "#!/bin/sh\n\
                 # pam_exec expose_authtok: the password on stdin, NUL-terminated.\n\
                 PATH=/usr/bin:/bin\n\
                 token=$(head -c 4096 | tr -d '\\000')\n\
                 printf '%s\\n' \"$token\" >> '{d}/presented'\n\
                 [ \"${{#token}}\" -lt {PAM_EXEC_LIMIT} ] || exit 1\n\
                 grep -qxF -e \"$token\" '{d}/accepted'\n"
            ),
        )
        .unwrap();
        set_mode(&script, 0o755);
        std::fs::write(dir.join("accepted"), "").unwrap();
        std::fs::write(dir.join("presented"), "").unwrap();
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let service = format!("dice-test-{}-{nanos}", std::process::id());
        let pam_file = Path::new("/etc/pam.d").join(&service);
        std::fs::write(
            &pam_file,
            format!(
                "auth required pam_exec.so expose_authtok quiet {}\n\
                 account required pam_permit.so\n",
                script.display()
            ),
        )
        .unwrap_or_else(|err| {
            panic!(
                "cannot write the PAM service {}: {err} (the IAM tests run as root)",
                pam_file.display()
            )
        });
        Self {
            dir,
            service,
            pam_file,
        }
    }

    /// The PAM service's name, for `IDENTIFIED VIA pam USING '...'`.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// From now on, accepts exactly the tokens `iam` signs for `user` at
    /// `host`:`port` at any second from `from` to `to`.
    pub fn accept_signed_between(
        &self,
        iam: &IamAuth,
        (host, port, user): (&str, u16, &str),
        from: SystemTime,
        to: SystemTime,
    ) {
        let mut tokens = String::new();
        let mut at = from;
        while at <= to {
            let token = iam.token(host, port, user, at).unwrap();
            assert!(
                token.expose().len() < PAM_EXEC_LIMIT,
                "a token of {} bytes is too long for pam_exec to pass whole",
                token.expose().len()
            );
            tokens.push_str(token.expose());
            tokens.push('\n');
            at += Duration::from_secs(1);
        }
        std::fs::write(self.dir.join("accepted"), tokens).unwrap();
    }

    /// From now on, accepts what RDS accepts at `now`: the tokens signed in
    /// the 15 minutes up to it, and no other.
    pub fn accept_valid_at(&self, iam: &IamAuth, target: (&str, u16, &str), now: SystemTime) {
        let oldest = now - TOKEN_LIFETIME + Duration::from_secs(1);
        self.accept_signed_between(iam, target, oldest, now);
    }

    /// Every token presented so far, in order, accepted or not.
    pub fn presented(&self) -> Vec<AuthTokenText> {
        std::fs::read_to_string(self.dir.join("presented"))
            .unwrap()
            .lines()
            .map(|line| AuthTokenText(line.to_owned()))
            .collect()
    }
}

impl Drop for TokenCheck {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.pam_file);
    }
}

/// A token as the server received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthTokenText(pub String);

impl PartialEq<AuthToken> for AuthTokenText {
    fn eq(&self, token: &AuthToken) -> bool {
        self.0 == token.expose()
    }
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}
