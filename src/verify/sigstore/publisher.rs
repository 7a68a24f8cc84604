//! Who may publish: identity pins and the publisher specs that expand to them.
//!
//! A Sigstore signing certificate names its signer twice: the subject alternative name (SAN,
//! a URI or an email address) and the OIDC issuer that vouched for it (Fulcio's extension
//! 1.3.6.1.4.1.57264.1.8, or the older .1.1). sigwatch pins both, compared exactly; there is
//! no prefix, substring or pattern matching, except the one documented hole below.
//!
//! Publisher specs and what they pin (README):
//!
//! | spec                                   | issuer                                        | identity (certificate SAN)                                              |
//! |----------------------------------------|-----------------------------------------------|-------------------------------------------------------------------------|
//! | `github:OWNER/REPO/WORKFLOW.yml`       | `https://token.actions.githubusercontent.com` | `https://github.com/OWNER/REPO/.github/workflows/WORKFLOW.yml@REF`      |
//! | `gitlab:NAMESPACE/PROJECT/PATH`        | `https://gitlab.com`                          | `https://gitlab.com/NAMESPACE/PROJECT//PATH@REF`                        |
//! | `google:EMAIL`                         | `https://accounts.google.com`                 | `EMAIL` (an email SAN)                                                  |
//! | `circleci:PROJECT_ID/PIPELINE_DEF_ID`  | `https://oidc.circleci.com`                   | `https://circleci.com/api/v2/projects/PROJECT_ID/pipeline-definitions/PIPELINE_DEF_ID` |
//!
//! `REF` is any non-empty ref (`refs/tags/v1.2`, `refs/heads/main`): a Trusted Publisher names
//! a workflow, not the ref it ran on. Everything before the `@` must match exactly, so
//! `github:o/r/release.yml` does not admit `release.yml.evil` or another repository. A GitLab
//! project in a subgroup is written with `//` before the path
//! (`gitlab:group/sub/project//ci/release.yml`); without `//` the first two segments are the
//! namespace and the project. For reusable GitHub workflows the SAN names the called workflow,
//! so pin that one. Anything else is pinned as an explicit identity and issuer.

use std::fmt;

/// GitHub Actions' OIDC issuer.
pub const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";
/// GitLab.com's OIDC issuer.
pub const GITLAB_ISSUER: &str = "https://gitlab.com";
/// Google's OIDC issuer (service accounts, Cloud Build).
pub const GOOGLE_ISSUER: &str = "https://accounts.google.com";
/// CircleCI's OIDC issuer.
pub const CIRCLECI_ISSUER: &str = "https://oidc.circleci.com";

/// How a pin's identity is compared with the certificate's SAN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match {
    /// The SAN equals this string.
    Exact(String),
    /// The SAN is this string, an `@`, and a non-empty ref.
    AnyRef(String),
}

/// One admitted signer: an identity and the issuer that must have vouched for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityPin {
    /// The certificate SAN, possibly with `{version}` in it.
    pub identity: Match,
    /// The OIDC issuer, compared exactly.
    pub issuer: String,
    /// The spec the pin came from (`github:…`), or `None` for an explicit identity.
    pub publisher: Option<String>,
}

/// A publisher spec that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    /// The spec as given.
    pub spec: String,
    /// What is wrong with it.
    pub problem: String,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "publisher {:?}: {}", self.spec, self.problem)
    }
}

impl std::error::Error for SpecError {}

/// The hint for a [`SpecError`].
pub const SPEC_HINT: &str = "write github:OWNER/REPO/WORKFLOW.yml, gitlab:NAMESPACE/PROJECT/PATH, \
     google:EMAIL or circleci:PROJECT_ID/PIPELINE_DEFINITION_ID, or pin an identity and issuer";

impl IdentityPin {
    /// A pin matching `identity` exactly (after `{version}` substitution) under `issuer`.
    pub fn exact(identity: impl Into<String>, issuer: impl Into<String>) -> Self {
        IdentityPin {
            identity: Match::Exact(identity.into()),
            issuer: issuer.into(),
            publisher: None,
        }
    }

    /// Reads a publisher spec (see the module documentation for the mapping).
    pub fn from_publisher(spec: &str) -> Result<Self, SpecError> {
        let err = |problem: &str| SpecError {
            spec: spec.to_string(),
            problem: problem.to_string(),
        };
        let (kind, rest) = spec
            .split_once(':')
            .ok_or_else(|| err("has no kind (github:, gitlab:, google:, circleci:)"))?;
        let clean = |s: &str| {
            !s.is_empty()
                && !s
                    .chars()
                    .any(|c| c.is_whitespace() || c == '@' || c == '\\')
        };
        let (identity, issuer) = match kind {
            "github" => {
                let parts: Vec<&str> = rest.split('/').collect();
                if parts.len() != 3 || !parts.iter().all(|p| clean(p) && *p != "." && *p != "..") {
                    return Err(err("expected github:OWNER/REPO/WORKFLOW.yml"));
                }
                let identity = format!(
                    "https://github.com/{}/{}/.github/workflows/{}",
                    parts[0], parts[1], parts[2]
                );
                (Match::AnyRef(identity), GITHUB_ISSUER)
            }
            "gitlab" => {
                let (project, path) = match rest.split_once("//") {
                    Some((project, path)) => (project.to_string(), path.to_string()),
                    None => {
                        let parts: Vec<&str> = rest.splitn(3, '/').collect();
                        if parts.len() != 3 {
                            return Err(err("expected gitlab:NAMESPACE/PROJECT/PATH"));
                        }
                        (format!("{}/{}", parts[0], parts[1]), parts[2].to_string())
                    }
                };
                let ok = project.split('/').count() >= 2
                    && project.split('/').all(clean)
                    && path.split('/').all(clean);
                if !ok {
                    return Err(err("expected gitlab:NAMESPACE/PROJECT/PATH"));
                }
                let identity = format!("https://gitlab.com/{project}//{path}");
                (Match::AnyRef(identity), GITLAB_ISSUER)
            }
            "google" => {
                let ok = rest.split_once('@').is_some_and(|(user, host)| {
                    !user.is_empty() && host.contains('.') && !rest.contains(char::is_whitespace)
                });
                if !ok {
                    return Err(err("expected google:EMAIL"));
                }
                (Match::Exact(rest.to_string()), GOOGLE_ISSUER)
            }
            "circleci" => {
                let parts: Vec<&str> = rest.split('/').collect();
                if parts.len() != 2 || !parts.iter().all(|p| clean(p)) {
                    return Err(err("expected circleci:PROJECT_ID/PIPELINE_DEFINITION_ID"));
                }
                let identity = format!(
                    "https://circleci.com/api/v2/projects/{}/pipeline-definitions/{}",
                    parts[0], parts[1]
                );
                (Match::Exact(identity), CIRCLECI_ISSUER)
            }
            _ => return Err(err("unknown kind")),
        };
        Ok(IdentityPin {
            identity,
            issuer: issuer.to_string(),
            publisher: Some(spec.to_string()),
        })
    }

    /// Whether a certificate with this SAN and issuer is admitted, for release `version`.
    pub fn admits(&self, san: &str, issuer: &str, version: Option<&str>) -> bool {
        if issuer != self.issuer {
            return false;
        }
        match &self.identity {
            Match::Exact(want) => san == substitute(want, version),
            Match::AnyRef(want) => san
                .strip_prefix(substitute(want, version).as_str())
                .and_then(|rest| rest.strip_prefix('@'))
                .is_some_and(|r| !r.is_empty() && !r.contains(char::is_whitespace)),
        }
    }

    /// The identity as written for people: `…@*` for any ref.
    pub fn identity_display(&self) -> String {
        match &self.identity {
            Match::Exact(s) => s.clone(),
            Match::AnyRef(s) => format!("{s}@<any ref>"),
        }
    }
}

impl fmt::Display for IdentityPin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.publisher {
            Some(spec) => write!(
                f,
                "{spec} ({} from {})",
                self.identity_display(),
                self.issuer
            ),
            None => write!(f, "{} from {}", self.identity_display(), self.issuer),
        }
    }
}

/// `{version}` replaced by the release's version, when there is one.
fn substitute(template: &str, version: Option<&str>) -> String {
    match version {
        Some(v) => template.replace("{version}", v),
        None => template.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAN: &str = "https://github.com/trailofbits/pypi-attestations/.github/workflows/release.yml@refs/tags/v0.0.19";

    #[test]
    fn github_spec_admits_its_workflow_at_any_ref_and_nothing_longer() {
        let pin = IdentityPin::from_publisher("github:trailofbits/pypi-attestations/release.yml")
            .expect("valid spec");
        assert!(pin.admits(SAN, GITHUB_ISSUER, None));
        assert!(!pin.admits(SAN, GITLAB_ISSUER, None));
        let longer = SAN.replace("release.yml@", "release.yml.evil@");
        assert!(!pin.admits(&longer, GITHUB_ISSUER, None));
        let other = SAN.replace("trailofbits/", "trailofbits-evil/");
        assert!(!pin.admits(&other, GITHUB_ISSUER, None));
        let no_ref = SAN.split('@').next().expect("has @");
        assert!(!pin.admits(no_ref, GITHUB_ISSUER, None));
        assert!(!pin.admits(&format!("{no_ref}@"), GITHUB_ISSUER, None));
    }

    #[test]
    fn gitlab_spec_maps_to_double_slash_config_uri_and_subgroups_use_double_slash() {
        let pin =
            IdentityPin::from_publisher("gitlab:facutuesca/gitlab-oidc-project/.gitlab-ci.yml")
                .expect("valid spec");
        let san =
            "https://gitlab.com/facutuesca/gitlab-oidc-project//.gitlab-ci.yml@refs/heads/main";
        assert!(pin.admits(san, GITLAB_ISSUER, None));
        let sub = IdentityPin::from_publisher("gitlab:group/sub/project//ci/release.yml")
            .expect("valid spec");
        assert!(sub.admits(
            "https://gitlab.com/group/sub/project//ci/release.yml@refs/tags/v1",
            GITLAB_ISSUER,
            None
        ));
    }

    #[test]
    fn google_spec_is_an_exact_email() {
        let pin = IdentityPin::from_publisher("google:ci@example.iam.gserviceaccount.com")
            .expect("valid spec");
        assert!(pin.admits("ci@example.iam.gserviceaccount.com", GOOGLE_ISSUER, None));
        assert!(!pin.admits(
            "ci@example.iam.gserviceaccount.com.evil",
            GOOGLE_ISSUER,
            None
        ));
        assert!(!pin.admits("xci@example.iam.gserviceaccount.com", GOOGLE_ISSUER, None));
    }

    #[test]
    fn exact_identity_substitutes_version_and_refuses_prefixes() {
        let pin = IdentityPin::exact(
            "https://github.com/o/r/.github/workflows/rel.yml@refs/tags/v{version}",
            GITHUB_ISSUER,
        );
        let san = "https://github.com/o/r/.github/workflows/rel.yml@refs/tags/v1.2";
        assert!(pin.admits(san, GITHUB_ISSUER, Some("1.2")));
        assert!(!pin.admits(san, GITHUB_ISSUER, Some("1.3")));
        let prefix = IdentityPin::exact("https://github.com/o/r/", GITHUB_ISSUER);
        assert!(!prefix.admits(san, GITHUB_ISSUER, None));
    }

    #[test]
    fn malformed_specs_are_refused() {
        for spec in [
            "github:o/r",
            "github:o/r/w.yml/x",
            "github:o/r@x/w.yml",
            "gitlab:p/.gitlab-ci.yml",
            "google:nobody",
            "pypi:foo",
            "github",
        ] {
            assert!(IdentityPin::from_publisher(spec).is_err(), "{spec}");
        }
    }
}
