//! The settings file on disk: symlinks, mode and owner, read-only files, the backup.

use super::*;

pub(super) fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

fn set_mode(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn run(f: impl FnOnce(&mut Vec<u8>) -> anyhow::Result<()>) -> anyhow::Result<String> {
    let mut out = Vec::new();
    f(&mut out).map(|()| String::from_utf8(out).unwrap())
}

/// No temporary file of navi's is left next to `dir`'s files.
fn no_temp_files(dir: &Path) {
    for e in std::fs::read_dir(dir).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            !name.contains(".navi-") || name.ends_with(".navi-backup"),
            "{name} left in {}",
            dir.display()
        );
    }
}

const BIG: &str = "{\n    \"env\": {\"ANTHROPIC_API_KEY\": \"sk-secret\"},\n    \"n\": 12345678901234567890123,\n    \"e\": 1e2,\n    \"f\": 1.0\n}\n";

/// A dotfiles checkout: `settings.json` -> `../dotfiles/link` -> `claude/settings.json`
/// (relative links, a chain), the target 0600.
#[test]
fn a_symlinked_private_file_is_edited_in_place_and_the_first_backup_stays() {
    let home = tempfile::tempdir().unwrap();
    let claude = home.path().join(".claude");
    let dotfiles = home.path().join("dotfiles");
    std::fs::create_dir_all(claude.clone()).unwrap();
    std::fs::create_dir_all(dotfiles.join("claude")).unwrap();
    let target = dotfiles.join("claude/settings.json");
    std::fs::write(&target, BIG).unwrap();
    set_mode(&target, 0o600);
    std::os::unix::fs::symlink("claude/settings.json", dotfiles.join("link")).unwrap();
    let path = claude.join("settings.json");
    std::os::unix::fs::symlink("../dotfiles/link", &path).unwrap();

    let out = run(|o| install_cmd(&path, Path::new("/bin/navi"), None, false, o)).unwrap();
    let real = target.canonicalize().unwrap();
    assert!(
        out.contains(&format!("its target {} was changed", real.display())),
        "{out}"
    );
    assert!(out.contains("the previous settings are in"), "{out}");
    assert_eq!(
        std::fs::read_link(&path).unwrap(),
        Path::new("../dotfiles/link")
    );
    assert_eq!(
        std::fs::read_link(dotfiles.join("link")).unwrap(),
        Path::new("claude/settings.json")
    );
    let new = std::fs::read_to_string(&target).unwrap();
    assert!(new.starts_with(&BIG[..BIG.len() - 3]), "{new}");
    assert!(new.contains("/bin/navi hook"));
    assert_eq!(mode(&target), 0o600);
    let backup = claude.join("settings.json.navi-backup");
    assert_eq!(std::fs::read_to_string(&backup).unwrap(), BIG);
    assert_eq!(mode(&backup), 0o600);

    // Again with another binary, then uninstall: the backup is still the file before navi.
    let out = run(|o| install_cmd(&path, Path::new("/opt/navi"), None, false, o)).unwrap();
    assert!(!out.contains("navi-backup"), "{out}");
    assert!(std::fs::read_to_string(&target)
        .unwrap()
        .contains("/opt/navi hook"));
    run(|o| uninstall_cmd(&path, false, o)).unwrap();
    assert_eq!(std::fs::read_to_string(&backup).unwrap(), BIG);
    // And the file has its bytes back.
    assert_eq!(std::fs::read_to_string(&target).unwrap(), BIG);
    assert_eq!(mode(&target), 0o600);
    assert!(std::fs::symlink_metadata(&path)
        .unwrap()
        .file_type()
        .is_symlink());
    // The user changes the file; the next install keeps the first backup as it is.
    let edited = BIG.replace("1e2", "2e2");
    std::fs::write(&target, &edited).unwrap();
    let out = run(|o| install_cmd(&path, Path::new("/bin/navi"), None, false, o)).unwrap();
    assert!(
        out.contains("stay in") && out.contains("not overwritten"),
        "{out}"
    );
    assert_eq!(std::fs::read_to_string(&backup).unwrap(), BIG);
    run(|o| uninstall_cmd(&path, false, o)).unwrap();
    assert_eq!(std::fs::read_to_string(&target).unwrap(), edited);
    no_temp_files(&claude);
    no_temp_files(&dotfiles.join("claude"));
}

/// A symlink to a file not there yet is followed too (the file is created where it
/// points, the link stays); a settings file in a symlinked directory is no symlink.
#[test]
fn dangling_links_and_linked_directories() {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir(home.path().join("dots")).unwrap();
    let path = home.path().join("settings.json");
    std::os::unix::fs::symlink("dots/claude.json", &path).unwrap();
    let out = run(|o| install_cmd(&path, Path::new("/bin/navi"), None, false, o)).unwrap();
    assert!(out.contains("is a symlink"), "{out}");
    assert!(std::fs::symlink_metadata(&path)
        .unwrap()
        .file_type()
        .is_symlink());
    let target = home.path().join("dots/claude.json");
    assert!(std::fs::read_to_string(&target)
        .unwrap()
        .contains("/bin/navi hook"));
    assert_eq!(mode(&target), 0o600);

    std::os::unix::fs::symlink("dots", home.path().join("config")).unwrap();
    std::fs::write(home.path().join("dots/settings.json"), BIG).unwrap();
    let path = home.path().join("config/settings.json");
    let out = run(|o| install_cmd(&path, Path::new("/bin/navi"), None, false, o)).unwrap();
    assert!(!out.contains("symlink"), "{out}");
    assert!(
        std::fs::read_to_string(home.path().join("dots/settings.json"))
            .unwrap()
            .contains("/bin/navi hook")
    );
}

/// A backup name that is a symlink (or a directory) is never written through: the
/// settings are changed, the symlink's target is not, and the output says there is no
/// backup this time.
#[test]
fn a_backup_name_that_is_not_a_regular_file_is_not_written_through() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("settings.json");
    std::fs::write(&path, BIG).unwrap();
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "precious").unwrap();
    let backup = dir.path().join("settings.json.navi-backup");
    std::os::unix::fs::symlink(&victim, &backup).unwrap();
    let out = run(|o| install_cmd(&path, Path::new("/bin/navi"), None, false, o)).unwrap();
    assert!(
        out.contains("no backup this time") && out.contains("is a symlink"),
        "{out}"
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert!(std::fs::symlink_metadata(&backup)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(std::fs::read_to_string(&path)
        .unwrap()
        .contains("/bin/navi hook"));

    // Uninstall never writes a backup (the file has navi's entries); a dangling symlink
    // is not followed either (it would create its target).
    run(|o| uninstall_cmd(&path, false, o)).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), BIG);
    std::fs::remove_file(&backup).unwrap();
    std::os::unix::fs::symlink(dir.path().join("nowhere"), &backup).unwrap();
    let out = run(|o| install_cmd(&path, Path::new("/bin/navi"), None, false, o)).unwrap();
    assert!(out.contains("no backup this time"), "{out}");
    assert!(!dir.path().join("nowhere").exists());
    run(|o| uninstall_cmd(&path, false, o)).unwrap();

    std::fs::remove_file(&backup).unwrap();
    std::fs::create_dir(&backup).unwrap();
    let out = run(|o| install_cmd(&path, Path::new("/bin/navi"), None, false, o)).unwrap();
    assert!(out.contains("is a directory"), "{out}");
    assert_eq!(std::fs::read_dir(&backup).unwrap().count(), 0);
}

/// A read-only settings file is refused whole: no change, no backup, no temporary file.
/// (Also as root, which may write anything: a file with no write bit is read-only.)
#[test]
fn a_read_only_file_is_refused_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("settings.json");
    std::fs::write(&path, BIG).unwrap();
    for ro in [0o400, 0o444] {
        set_mode(&path, ro);
        let err = run(|o| install_cmd(&path, Path::new("/bin/navi"), None, false, o)).unwrap_err();
        let msg = format!("{err:#}");
        assert!(
            msg.contains(&path.display().to_string()) && msg.contains("read-only"),
            "{msg}"
        );
        assert!(msg.contains("nothing was written"), "{msg}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), BIG);
        assert_eq!(mode(&path), ro);
        assert!(!dir.path().join("settings.json.navi-backup").exists());
        no_temp_files(dir.path());
    }
    // The dry run shows the change and says it would be refused.
    let out = run(|o| install_cmd(&path, Path::new("/bin/navi"), None, true, o)).unwrap();
    assert!(
        out.contains("+ ") && out.contains("would refuse") && out.contains("read-only"),
        "{out}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), BIG);
}

/// An immutable file (`chattr +i`: writable by its mode, EPERM for everyone, root too) is
/// refused like a read-only one. Needs root and a file system with the attribute (ext4,
/// xfs, btrfs); where `chattr` cannot set it there is nothing to try.
#[test]
fn an_immutable_file_is_refused() {
    struct Mutable<'p>(&'p Path);
    impl Drop for Mutable<'_> {
        fn drop(&mut self) {
            let _ = std::process::Command::new("chattr")
                .arg("-i")
                .arg(self.0)
                .status();
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("settings.json");
    std::fs::write(&path, BIG).unwrap();
    set_mode(&path, 0o644);
    let set = std::process::Command::new("chattr")
        .arg("+i")
        .arg(&path)
        .stderr(std::process::Stdio::null())
        .status();
    if !set.is_ok_and(|s| s.success()) {
        return;
    }
    let _undo = Mutable(&path);
    let err = run(|o| install_cmd(&path, Path::new("/bin/navi"), None, false, o)).unwrap_err();
    let msg = format!("{err:#}");
    assert!(
        msg.contains(&path.display().to_string()) && msg.contains("read-only"),
        "{msg}"
    );
    assert!(msg.contains("Operation not permitted"), "{msg}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), BIG);
    assert!(!dir.path().join("settings.json.navi-backup").exists());
    no_temp_files(dir.path());
}

/// The dry run's diff is the diff of the real new text: only added lines, the numbers as
/// written in the context.
#[test]
fn the_dry_run_diff_is_of_the_real_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("settings.json");
    std::fs::write(&path, BIG).unwrap();
    let out = run(|o| install_cmd(&path, Path::new("/bin/navi"), None, true, o)).unwrap();
    assert!(
        out.contains("\n      \"n\": 12345678901234567890123,\n      \"e\": 1e2,\n"),
        "{out}"
    );
    // Only the last member changes (its comma); the rest is added.
    let removed: Vec<&str> = out.lines().filter(|l| l.starts_with("- ")).collect();
    assert_eq!(removed, ["-     \"f\": 1.0"], "{out}");
    assert!(
        out.contains("\n+     \"f\": 1.0,\n+     \"hooks\": {\n"),
        "{out}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), BIG);
}

/// Run as root on a user's file (`sudo navi hooks install` with HOME kept): the new file
/// and the backup belong to the user, with the file's mode.
#[test]
fn root_gives_the_file_and_its_backup_their_owner_back() {
    use std::os::unix::fs::MetadataExt as _;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("settings.json");
    std::fs::write(&path, BIG).unwrap();
    if std::fs::metadata(&path).unwrap().uid() != 0 {
        // Only root can give a file away; the same-owner path is the other tests'.
        return;
    }
    std::os::unix::fs::chown(&path, Some(4321), Some(8765)).unwrap();
    set_mode(&path, 0o640);
    run(|o| install_cmd(&path, Path::new("/bin/navi"), None, false, o)).unwrap();
    for p in [path.clone(), dir.path().join("settings.json.navi-backup")] {
        let m = std::fs::metadata(&p).unwrap();
        assert_eq!(
            (m.uid(), m.gid(), mode(&p)),
            (4321, 8765, 0o640),
            "{}",
            p.display()
        );
    }
}

/// A file changed between navi's read and its write is not replaced (nor backed up).
#[test]
fn a_file_changed_meanwhile_is_not_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("settings.json");
    std::fs::write(&path, "{\"a\": 2}").unwrap();
    let err = file::write(&path, "{\"b\": 1}", Some("{\"a\": 1}"), true).unwrap_err();
    assert!(
        format!("{err:#}").contains("changed while navi was editing it"),
        "{err:#}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"a\": 2}");
    assert!(!dir.path().join("settings.json.navi-backup").exists());
    no_temp_files(dir.path());
}
