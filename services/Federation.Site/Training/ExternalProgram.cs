using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Federation.Site.Training;

/// <summary>
/// Runs an external trainer's program once: without the gateway's environment, with a time limit, its children killed
/// with it, and the tail of its stderr kept for the record. Both of <see cref="ExternalTrainer"/>'s modes (train and
/// evaluate) run through here.
/// </summary>
/// <param name="command">The program.</param>
/// <param name="arguments">Its leading arguments (<c>Arguments</c> of the training section).</param>
/// <param name="timeout">How long it may run.</param>
/// <param name="settings">The configuration section the program is set up in, which reasons name.</param>
public sealed class ExternalProgram(string command, IReadOnlyList<string> arguments, TimeSpan timeout, string settings)
{
    /// <summary>The most of the program's stderr kept for the log and the decision record.</summary>
    public const int StderrLimit = 2000;

    /// <summary>The only environment variables the program inherits from the gateway.</summary>
    public static IReadOnlyList<string> InheritedVariables { get; } = ["PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "DOTNET_ROOT"];

    /// <summary>The program's file name, as reasons name it.</summary>
    public string Name => Path.GetFileName(command);

    /// <summary>Runs the program with its leading arguments and then <paramref name="gatewayArguments"/>, in <paramref name="folder"/>.</summary>
    /// <param name="folder">The working folder.</param>
    /// <param name="gatewayArguments">The gateway's own arguments for this run.</param>
    /// <returns>The tail of its stderr (empty when it wrote none).</returns>
    /// <exception cref="LocalTrainingException">It could not start, timed out (and was killed) or exited non-zero; the reason holds its stderr.</exception>
    public string Run(string folder, IEnumerable<string> gatewayArguments)
    {
        var start = new ProcessStartInfo(command)
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments.Concat(gatewayArguments))
        {
            start.ArgumentList.Add(argument);
        }

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
        if (process.ExitCode != 0)
        {
            throw new LocalTrainingException(string.Create(CultureInfo.InvariantCulture, $"{Name} exited with code {process.ExitCode}{StderrText(tail)}"));
        }

        return tail;
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
