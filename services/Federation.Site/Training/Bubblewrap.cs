using System.Globalization;

namespace Federation.Site.Training;

/// <summary>
/// The bubblewrap (<c>bwrap</c>, Debian package <c>bubblewrap</c>) command line that confines an external trainer: new
/// user, PID, network, IPC, UTS and cgroup namespaces (so no network at all, not even the host's loopback, and nothing
/// of it outlives the run), the operating system's programs and libraries read-only, the run's inputs and the
/// program's own folders read-only, one writable output folder (also its HOME and TMPDIR) and everything else read-only,
/// and limits on address space and CPU time.
/// Nothing else of the host is visible: not the vault, not the gateway's state, key file or configuration.
/// </summary>
public static class Bubblewrap
{
    /// <summary>The confinement's name in settings (<c>Confinement=bubblewrap</c>).</summary>
    public const string Name = "bubblewrap";

    /// <summary>Where Debian installs bwrap.</summary>
    public const string DefaultPath = "/usr/bin/bwrap";

    /// <summary>The unprivileged user the program runs as inside the sandbox (<c>nobody</c>).</summary>
    public const int SandboxUser = 65534;

    // Only what the dynamic loader and Debian's alternatives need of /etc: not /etc itself, which on a gateway host
    // holds the service's environment file with the broker password.
    private static readonly string[] SystemFiles = ["/etc/alternatives", "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime"];

    /// <summary>The arguments of bwrap that run <paramref name="command"/> with <paramref name="arguments"/> confined.</summary>
    /// <param name="readOnly">Folders or files visible read-only at their own paths (the run's inputs, the program's folders).</param>
    /// <param name="writable">The one folder the program may write, also its working folder.</param>
    /// <param name="memoryBytes">The address-space limit (RLIMIT_AS) of the program and its children.</param>
    /// <param name="cpuSeconds">The CPU-time limit (RLIMIT_CPU).</param>
    /// <param name="command">The program.</param>
    /// <param name="arguments">Its arguments.</param>
    /// <param name="exists">Whether a host path exists (system files missing on a host are left out).</param>
    public static IReadOnlyList<string> Arguments(
        IEnumerable<string> readOnly, string writable, long memoryBytes, long cpuSeconds, string command, IEnumerable<string> arguments, Func<string, bool> exists)
    {
        ArgumentNullException.ThrowIfNull(readOnly);
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(exists);
        var list = new List<string>
        {
            "--unshare-all", "--die-with-parent", "--new-session",
            "--uid", SandboxUser.ToString(CultureInfo.InvariantCulture), "--gid", SandboxUser.ToString(CultureInfo.InvariantCulture),
            "--ro-bind", "/usr", "/usr",
            "--symlink", "usr/bin", "/bin", "--symlink", "usr/sbin", "/sbin", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
        };
        foreach (var file in SystemFiles.Where(exists))
        {
            list.AddRange(["--ro-bind", file, file]);
        }

        list.AddRange(["--proc", "/proc", "--dev", "/dev"]);
        foreach (var path in readOnly.Distinct(StringComparer.Ordinal))
        {
            list.AddRange(["--ro-bind", path, path]);
        }

        // The sandbox's root is bwrap's own tmpfs, holding the mount points' parent folders: made read-only, so the output
        // folder is the one place anything can be written (also temporary files and HOME).
        list.AddRange(["--bind", writable, writable, "--remount-ro", "/", "--chdir", writable, "--setenv", "HOME", writable, "--setenv", "TMPDIR", writable]);
        // prlimit (util-linux, under /usr) sets the limits inside, so they bind the program and whatever it starts.
        list.AddRange([
            "--", "/usr/bin/prlimit",
            $"--as={memoryBytes.ToString(CultureInfo.InvariantCulture)}", $"--cpu={cpuSeconds.ToString(CultureInfo.InvariantCulture)}",
            "--", command]);
        list.AddRange(arguments);
        return list;
    }
}
