using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Federation.Site.Training;

/// <summary>
/// Runs an external trainer's program once: confined (<see cref="Bubblewrap"/>) unless the factory said otherwise,
/// without the gateway's environment, with a time limit, its children killed with it, and the tail of its stderr kept
/// for the record. Both of <see cref="ExternalTrainer"/>'s modes (train and evaluate) run through here. When it cannot
/// be confined it is not run at all (fail closed).
/// </summary>
/// <param name="command">The program.</param>
/// <param name="arguments">Its leading arguments (<c>Arguments</c> of the training section).</param>
/// <param name="timeout">How long it may run.</param>
/// <param name="settings">The configuration section the program is set up in, which reasons name.</param>
/// <param name="confinement">How it is confined.</param>
public sealed class ExternalProgram(string command, IReadOnlyList<string> arguments, TimeSpan timeout, string settings, TrainerConfinement confinement)
{
    /// <summary>The most of the program's stderr kept for the log and the decision record.</summary>
    public const int StderrLimit = 2000;

    /// <summary>The only environment variables the program inherits from the gateway.</summary>
    public static IReadOnlyList<string> InheritedVariables { get; } = ["PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "DOTNET_ROOT"];

    /// <summary>The program's file name, as reasons name it.</summary>
    public string Name => Path.GetFileName(command);

    /// <summary>
    /// The folders of the program's own files, which it sees read-only when confined: the folder of the command and, for
    /// an interpreter such as python3, of its script (the first argument, when it names a file) — so a Python program's
    /// modules beside it come along. The operating system's folders (under /usr, and /bin, /sbin, /lib, which Debian
    /// links there) are visible anyway. Other arguments are passed as they are but not made visible: naming a file
    /// there does not open it to the program.
    /// </summary>
    public IReadOnlyList<string> ProgramFolders { get; } = [.. arguments.Take(1).Prepend(Resolve(command) ?? command)
        .Where(File.Exists)
        .Select(path => Path.GetDirectoryName(Path.GetFullPath(path))!)
        .Where(folder => !SystemFolders.Any(system => folder == system || folder.StartsWith(system + "/", StringComparison.Ordinal)))
        .Distinct(StringComparer.Ordinal)
        .Order(StringComparer.Ordinal)];

    private static readonly string[] SystemFolders = ["/usr", "/bin", "/sbin", "/lib", "/lib64"];

    /// <summary>How it is confined, for the decision record.</summary>
    public string Confinement => confinement.Describe(settings);

    /// <summary>
    /// Runs the program with its leading arguments and then <paramref name="gatewayArguments"/>; it sees
    /// <paramref name="input"/> read-only and may write only <paramref name="output"/>, its working folder.
    /// </summary>
    /// <param name="input">The run's input folder (models, data list, plan and the vault entries it is given).</param>
    /// <param name="output">The run's output folder.</param>
    /// <param name="gatewayArguments">The gateway's own arguments for this run.</param>
    /// <returns>The tail of its stderr (empty when it wrote none).</returns>
    /// <exception cref="LocalTrainingException">
    /// It could not be confined (and was not run), could not start, timed out (and was killed) or exited non-zero; the
    /// reason holds its stderr.
    /// </exception>
    public string Run(string input, string output, IEnumerable<string> gatewayArguments)
    {
        var all = arguments.Concat(gatewayArguments);
        ProcessStartInfo start;
        if (confinement.Confined)
        {
            if (!File.Exists(confinement.BubblewrapPath))
            {
                throw new LocalTrainingException(
                    $"cannot confine {Name}: {confinement.BubblewrapPath} is missing (Debian package bubblewrap); not running it unconfined. Install bubblewrap, or set {settings}:Confinement=none to run it as the gateway's user, with the network");
            }

            // Checked here because inside the sandbox a missing program is only prlimit's exit code 127.
            if (Resolve(command) is null)
            {
                throw new LocalTrainingException($"could not start {command} ({settings}:Command): no such program");
            }

            long cpuSeconds = (long)Math.Ceiling(timeout.TotalSeconds) + 1;
            start = new ProcessStartInfo(confinement.BubblewrapPath);
            foreach (var argument in Bubblewrap.Arguments([.. ProgramFolders, input], output, confinement.MemoryBytes, cpuSeconds, command, all, Path.Exists))
            {
                start.ArgumentList.Add(argument);
            }
        }
        else
        {
            start = new ProcessStartInfo(command);
            foreach (var argument in all)
            {
                start.ArgumentList.Add(argument);
            }
        }

        start.WorkingDirectory = output;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;

        // Not the gateway's environment: on a production host it holds the broker password (systemd env file).
        start.Environment.Clear();
        foreach (var name in InheritedVariables)
        {
            if (Environment.GetEnvironmentVariable(name) is { } value)
            {
                start.Environment[name] = value;
            }
        }

        using var process = new Process { StartInfo = start };
        var stderr = new StringBuilder();
        process.ErrorDataReceived += (_, line) => Append(stderr, line.Data);
        process.OutputDataReceived += (_, _) => { }; // drained so a chatty program never blocks on a full pipe
        try
        {
            process.Start();
        }
        catch (Win32Exception error)
        {
            throw new LocalTrainingException($"could not start {command} ({settings}:Command): {error.Message}", error);
        }

        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new LocalTrainingException(string.Create(CultureInfo.InvariantCulture,
                $"{Name} did not finish within {timeout.TotalSeconds:G6} s ({settings}:TimeoutSeconds) and was killed{StderrText(Tail(stderr))}"));
        }

        process.WaitForExit(); // flushes the asynchronous readers
        var tail = Tail(stderr);
        if (confinement.Confined && process.ExitCode != 0 && tail.StartsWith("bwrap:", StringComparison.Ordinal))
        {
            // bwrap reports its own setup failures this way, before the program runs (e.g. no user namespaces allowed).
            throw new LocalTrainingException($"could not confine {Name}: {tail}; not running it unconfined ({settings}:Confinement)");
        }

        if (process.ExitCode != 0)
        {
            throw new LocalTrainingException(string.Create(CultureInfo.InvariantCulture, $"{Name} exited with code {process.ExitCode}{StderrText(tail)}"));
        }

        return tail;
    }

    /// <summary>The program's full path: <paramref name="program"/> itself when it names a file, else the first match on PATH.</summary>
    private static string? Resolve(string program)
    {
        if (program.Contains('/', StringComparison.Ordinal))
        {
            return File.Exists(program) ? Path.GetFullPath(program) : null;
        }

        return (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, program))
            .FirstOrDefault(File.Exists);
    }

    /// <summary>"; stderr: …" for a reason, or nothing when the program wrote no stderr.</summary>
    /// <param name="stderr">The tail of its stderr.</param>
    public static string StderrText(string stderr) => stderr.Length > 0 ? $"; stderr: {stderr}" : "";

    private static void Append(StringBuilder stderr, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (stderr)
        {
            stderr.Append(line).Append(' ');
            if (stderr.Length > 4 * StderrLimit)
            {
                stderr.Remove(0, stderr.Length - StderrLimit);
            }
        }
    }

    private static string Tail(StringBuilder stderr)
    {
        lock (stderr)
        {
            var text = stderr.ToString().Trim();
            return text.Length <= StderrLimit ? text : "…" + text[^StderrLimit..];
        }
    }
}
