//! What the server process asks of its operating system at start.

/// Raises the soft limit of open files to the hard limit, so that 2,000 connections are a
/// non-event on a default shell (whose soft limit is often 1,024 while the hard limit is far
/// higher): each connection, and the database's files, is one descriptor. Answers the limits
/// before and after, or why they could not be read or raised; elsewhere than Unix, nothing.
#[cfg(unix)]
#[allow(clippy::unnecessary_cast)] // rlim_t is u64 here, not on every Unix
pub fn raise_open_files_limit() -> Result<(u64, u64), String> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes the struct it is given and reads nothing else.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(format!("getrlimit: {}", std::io::Error::last_os_error()));
    }
    let before = limit.rlim_cur as u64;
    // macOS refuses a soft limit above OPEN_MAX however high the hard limit says it may go.
    #[cfg(target_os = "macos")]
    let wanted = limit.rlim_max.min(libc::OPEN_MAX as libc::rlim_t);
    #[cfg(not(target_os = "macos"))]
    let wanted = limit.rlim_max;
    if wanted <= limit.rlim_cur {
        return Ok((before, before));
    }
    limit.rlim_cur = wanted;
    // SAFETY: setrlimit reads the struct it is given.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) } != 0 {
        return Err(format!("setrlimit: {}", std::io::Error::last_os_error()));
    }
    Ok((before, wanted as u64))
}

#[cfg(not(unix))]
pub fn raise_open_files_limit() -> Result<(u64, u64), String> {
    Ok((0, 0))
}
