//! Runs a container's process as a container runtime would, without one: in a mount namespace
//! of its own, chrooted into a root that holds nothing but the static binary at its image path,
//! `/etc/hosts` (the cluster's Service names), `/proc`, `/dev` and the pod's volumes — read-only
//! when the manifest says `readOnlyRootFilesystem` — as the manifest's non-root user, in its
//! working directory. A binary that needed a shell, a libc or a writable root would fail here
//! as it would in the distroless image. Needs root (to mount and chroot), as CI runs.

use super::container::Container;
use std::ffi::CString;
use std::fs::File;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// Where the image installs the binary (the Dockerfile's COPY into /usr/local/bin, on the PATH
/// of the distroless base).
const BINARY_DIR: &str = "/usr/local/bin";

/// Starts the container's process; its stdout and stderr go to `log`.
pub fn spawn(
    container: &Container,
    binary: &Path,
    hosts: &str,
    root: &Path,
    extra_env: &[(String, String)],
    log: &Path,
) -> Child {
    assert_eq!(
        unsafe { libc::geteuid() },
        0,
        "the kubelet-faithful harness mounts and chroots: run the tests as root (CI does)"
    );
    let program = &container.argv[0];
    let program_path = if program.contains('/') {
        program.clone()
    } else {
        format!("{BINARY_DIR}/{program}")
    };

    // The root: mount points only; everything in it comes from mounts.
    let inside = |path: &str| root.join(path.trim_start_matches('/'));
    for dir in [
        "proc",
        "dev",
        "etc",
        "tmp",
        BINARY_DIR,
        &container.working_dir,
    ] {
        std::fs::create_dir_all(inside(dir)).unwrap();
    }
    let hosts_file = root.with_extension("hosts");
    std::fs::write(&hosts_file, hosts).unwrap();
    let mut binds: Vec<(PathBuf, PathBuf, bool)> = vec![
        (binary.to_owned(), inside(&program_path), true),
        (hosts_file, inside("/etc/hosts"), true),
        ("/dev".into(), inside("/dev"), false),
    ];
    for mount in &container.mounts {
        binds.push((mount.source.clone(), inside(&mount.target), mount.read_only));
    }
    for (source, target, _) in &binds {
        if source.is_dir() {
            std::fs::create_dir_all(target).unwrap();
        } else {
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            File::create(target).unwrap();
        }
    }

    let c = |path: &Path| CString::new(path.as_os_str().as_bytes()).unwrap();
    let root_c = c(root);
    let proc_c = c(&inside("/proc"));
    let slash = CString::new("/").unwrap();
    let proc_type = CString::new("proc").unwrap();
    let binds_c: Vec<(CString, CString, bool)> =
        binds.iter().map(|(s, t, ro)| (c(s), c(t), *ro)).collect();
    let workdir = CString::new(container.working_dir.as_str()).unwrap();
    let (uid, gid, read_only_root) = (container.uid, container.gid, container.read_only_root);

    let out = File::create(log).unwrap();
    let mut command = Command::new(&program_path);
    command
        .arg0(program)
        .args(&container.argv[1..])
        .env_clear()
        .envs(container.env.iter().map(|(k, v)| (k, v)))
        .envs(extra_env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out);
    // SAFETY: only async-signal-safe system calls on memory prepared before the fork.
    unsafe {
        command.pre_exec(move || {
            let check = |rc: libc::c_int| {
                if rc == 0 {
                    Ok(())
                } else {
                    Err(std::io::Error::last_os_error())
                }
            };
            let null = std::ptr::null();
            check(libc::unshare(libc::CLONE_NEWNS))?;
            check(libc::mount(
                null,
                slash.as_ptr(),
                null,
                libc::MS_REC | libc::MS_PRIVATE,
                null as _,
            ))?;
            check(libc::mount(
                root_c.as_ptr(),
                root_c.as_ptr(),
                null,
                libc::MS_BIND | libc::MS_REC,
                null as _,
            ))?;
            for (source, target, read_only) in &binds_c {
                check(libc::mount(
                    source.as_ptr(),
                    target.as_ptr(),
                    null,
                    libc::MS_BIND | libc::MS_REC,
                    null as _,
                ))?;
                if *read_only {
                    check(libc::mount(
                        null,
                        target.as_ptr(),
                        null,
                        libc::MS_REMOUNT | libc::MS_BIND | libc::MS_RDONLY,
                        null as _,
                    ))?;
                }
            }
            check(libc::mount(
                proc_type.as_ptr(),
                proc_c.as_ptr(),
                proc_type.as_ptr(),
                0,
                null as _,
            ))?;
            if read_only_root {
                check(libc::mount(
                    null,
                    root_c.as_ptr(),
                    null,
                    libc::MS_REMOUNT | libc::MS_BIND | libc::MS_RDONLY,
                    null as _,
                ))?;
            }
            check(libc::chroot(root_c.as_ptr()))?;
            check(libc::chdir(workdir.as_ptr()))?;
            check(libc::setgroups(0, std::ptr::null()))?;
            check(libc::setgid(gid))?;
            check(libc::setuid(uid))?;
            Ok(())
        });
    }
    command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", container.name))
}
