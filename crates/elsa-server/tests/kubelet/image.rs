//! What the image gives a container: the final stage of the repository's `Dockerfile` — its
//! ENTRYPOINT, CMD, WORKDIR, ENV and USER — read from the file rather than restated here.

use std::path::Path;

#[derive(Debug, Default)]
pub struct Image {
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    pub workdir: String,
    pub env: Vec<(String, String)>,
    pub user: Option<u32>,
}

impl Image {
    pub fn from_dockerfile(path: &Path) -> Image {
        let text = std::fs::read_to_string(path).expect("the Dockerfile");
        // Continuation lines joined, comments dropped; only the last stage is the image.
        let joined = text
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n")
            .replace("\\\n", " ");
        let last_stage = joined
            .rsplit_once("\nFROM ")
            .expect("a multi-stage Dockerfile")
            .1;
        let mut image = Image {
            workdir: "/".into(),
            ..Image::default()
        };
        for line in last_stage.lines() {
            let Some((instruction, rest)) = line.trim().split_once(' ') else {
                continue;
            };
            let rest = rest.trim();
            match instruction {
                "ENTRYPOINT" => image.entrypoint = exec_form(rest),
                "CMD" => image.cmd = exec_form(rest),
                "WORKDIR" => image.workdir = rest.to_owned(),
                "USER" => {
                    let uid = rest.split(':').next().unwrap();
                    image.user = Some(uid.parse().expect("a numeric USER"));
                }
                "ENV" => {
                    for pair in rest.split_whitespace() {
                        let (key, value) = pair.split_once('=').expect("ENV key=value");
                        image.env.push((key.to_owned(), value.to_owned()));
                    }
                }
                _ => {}
            }
        }
        image
    }
}

fn exec_form(text: &str) -> Vec<String> {
    serde_json::from_str(text).expect("ENTRYPOINT and CMD in exec (JSON) form")
}
