using System.Diagnostics;

namespace Federation.Site.Training;

/// <summary>
/// The reference PyTorch programs in the repository's <c>trainers/pytorch</c> folder, run with Debian's Python (which
/// has <c>python3-torch</c>; PATH's <c>python3</c> may not), for what the model team's side needs them for in the demo,
/// the benchmarks and the tests: making version 0, the central anchor, the test-set score. A gateway runs a trainer
/// only through its own confined <see cref="ExternalTrainer"/>, never through this class.
/// </summary>
/// <param name="Folder">The <c>trainers/pytorch</c> folder.</param>
public sealed record PyTorchTrainers(string Folder)
{
    /// <summary>Debian's Python.</summary>
    public const string Python = "/usr/bin/python3";

    /// <summary>The photo CNN's trainer program.</summary>
    public string PhotoCnn => Path.Combine(Folder, "photo_cnn.py");

    /// <summary>The press-fit 1-D CNN's trainer program.</summary>
    public string ForceCnn => Path.Combine(Folder, "force_cnn.py");

    /// <summary>
    /// The folder found from the working directory or from where fedctl runs, walking up to the repository root;
    /// null when neither is inside a checkout.
    /// </summary>
    public static PyTorchTrainers? Find()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
            {
                var candidate = Path.Combine(folder.FullName, "trainers", "pytorch");
                if (File.Exists(Path.Combine(candidate, "photo_cnn.py")))
                {
                    return new PyTorchTrainers(candidate);
                }
            }
        }

        return null;
    }

    /// <summary>Starts <paramref name="script"/> with <paramref name="arguments"/>; its standard output and error are read by <see cref="FinishAsync"/>.</summary>
    public Process Start(string script, params string[] arguments)
    {
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(Folder, script));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start) ?? throw new InvalidOperationException($"{Python} did not start");
    }

    /// <summary>Waits for a started program and returns its standard output; throws with its standard error when it failed.</summary>
    public static async Task<string> FinishAsync(Process process)
    {
        ArgumentNullException.ThrowIfNull(process);
        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"{string.Join(' ', process.StartInfo.ArgumentList)} exited with {process.ExitCode}: {(await error).Trim()}");
            }

            return await output;
        }
    }

    /// <summary>Runs <paramref name="script"/> to the end and returns its standard output.</summary>
    public Task<string> RunAsync(string script, params string[] arguments) => FinishAsync(Start(script, arguments));
}
