using System.Globalization;
using Federation.Vault;
using Federation.Vault.PressFit;
using Spectre.Console;

namespace Federation.Cli.Vault;

/// <summary><c>fedctl vault</c>: imports raw data into a gateway's on-site vault and lists it, on the gateway's box.</summary>
public static class VaultCommand
{
    /// <summary>Runs the subcommand; returns the process exit code (1 when any imported file was quarantined).</summary>
    /// <param name="arguments">The arguments after <c>vault</c>.</param>
    /// <param name="console">Where tables go.</param>
    public static int Run(CommandArguments arguments, IAnsiConsole console)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(console);
        return arguments.Positional(0) switch
        {
            "import" => Import(arguments, console),
            "ls" => List(arguments, console),
            "stats" => Stats(arguments, console),
            "generate-press-fit" => GeneratePressFit(arguments, console),
            null => throw new CommandLineException("Missing vault subcommand: import, ls, stats or generate-press-fit."),
            var other => throw new CommandLineException($"Unknown vault subcommand '{other}'; use import, ls, stats or generate-press-fit."),
        };
    }

    private static int Import(CommandArguments arguments, IAnsiConsole console)
    {
        var directory = State(arguments, "import");
        var kind = Kind(arguments) ?? throw new CommandLineException("vault import needs --kind logs|overrides|photos|force.");
        var paths = Enumerable.Range(1, int.MaxValue - 1).Select(arguments.Positional).TakeWhile(path => path is not null).Select(path => path!).ToList();
        if (paths.Count == 0)
        {
            throw new CommandLineException("vault import needs at least one file or folder to import.");
        }

        if (paths.FirstOrDefault(path => !File.Exists(path) && !Directory.Exists(path)) is { } missing)
        {
            throw new CommandFailedException($"No file or folder {missing}; nothing was imported.");
        }

        var label = arguments.OptionalText("label");
        if (label is not null && (kind is not (VaultKind.Photos or VaultKind.Force) || !VaultValidator.IsValidLabel(label)))
        {
            throw new CommandLineException(kind is not (VaultKind.Photos or VaultKind.Force)
                ? "--label applies to --kind photos and --kind force only."
                : $"--label \"{label}\" must be 1 to 64 letters, digits, '_', '.' or '-' starting with a letter or digit.");
        }

        // The vault is created on first import, as the gateway would create it. fedctl does not know the gateway's
        // configured limits, so it deletes nothing unless --max-age-days or --max-bytes is given; the gateway applies
        // its own limits at its next poll.
        var importer = new VaultImporter(VaultStore.Open(directory, Options(arguments)));
        var results = importer.ImportAll(kind, paths, label);
        var table = new Table().Title($"Import into {Markup.Escape(importer.Store.Root)} as {kind.ToName()}").AddColumns("File", "Outcome", "SHA-256 or problem");
        foreach (var result in results)
        {
            table.AddRow(
                Markup.Escape(result.Source),
                result.Outcome switch
                {
                    VaultImportOutcome.Stored => "[green]stored[/]",
                    VaultImportOutcome.AlreadyStored => "[grey]already stored[/]",
                    _ => "[red]quarantined[/]",
                },
                Markup.Escape(result.Outcome == VaultImportOutcome.Quarantined ? $"{result.Problem} → {result.QuarantinedAs}" : result.Entry!.Sha256));
        }

        console.Write(table);
        var quarantined = results.Count(result => result.Outcome == VaultImportOutcome.Quarantined);
        console.MarkupLine(CultureInfo.InvariantCulture,
            "{0} stored, {1} already stored, {2} quarantined.",
            results.Count(result => result.Outcome == VaultImportOutcome.Stored),
            results.Count(result => result.Outcome == VaultImportOutcome.AlreadyStored),
            quarantined);
        return quarantined == 0 ? 0 : 1;
    }

    private static int List(CommandArguments arguments, IAnsiConsole console)
    {
        var store = Existing(arguments, "ls");
        var kind = Kind(arguments);
        var entries = store.Entries(kind);
        var table = new Table().Title($"Vault {Markup.Escape(store.Root)}{(kind is { } only ? $", {only.ToName()}" : "")}, oldest first")
            .AddColumns("Imported (UTC)", "Kind", "Format", "Bytes", "Records", "Label / rate", "Original name", "SHA-256");
        foreach (var entry in entries)
        {
            table.AddRow(
                Time(entry.ImportedAt), entry.Kind.ToName(), entry.Format, entry.Bytes.ToString(CultureInfo.InvariantCulture),
                entry.Records.ToString(CultureInfo.InvariantCulture),
                Markup.Escape(string.Join(", ", new[] { entry.Label, entry.SampleRateHz is { } rate ? $"{rate.ToString(CultureInfo.InvariantCulture)} Hz" : null }.OfType<string>().DefaultIfEmpty("-"))),
                Markup.Escape(entry.OriginalName), entry.Sha256);
        }

        console.Write(table);
        console.MarkupLine(CultureInfo.InvariantCulture, "{0} objects.", entries.Count);
        return 0;
    }

    private static int Stats(CommandArguments arguments, IAnsiConsole console)
    {
        var store = Existing(arguments, "stats");
        var stats = store.Stats();
        var table = new Table().Title($"Vault {Markup.Escape(store.Root)}")
            .AddColumns("Kind", "Objects", "Bytes", "Oldest import (UTC)", "Newest import (UTC)", "Quarantined");
        foreach (var row in stats)
        {
            table.AddRow(
                row.Kind.ToName(), row.Count.ToString(CultureInfo.InvariantCulture), row.Bytes.ToString(CultureInfo.InvariantCulture),
                row.Oldest is { } oldest ? Time(oldest) : "-", row.Newest is { } newest ? Time(newest) : "-",
                row.Quarantined == 0 ? "0" : $"[red]{row.Quarantined.ToString(CultureInfo.InvariantCulture)}[/]");
        }

        table.AddRow(
            "[bold]all[/]", stats.Sum(row => row.Count).ToString(CultureInfo.InvariantCulture), stats.Sum(row => row.Bytes).ToString(CultureInfo.InvariantCulture),
            "", "", stats.Sum(row => row.Quarantined).ToString(CultureInfo.InvariantCulture));
        console.Write(table);
        var deletions = store.Deletions();
        console.MarkupLine(CultureInfo.InvariantCulture, "{0} objects deleted by retention ({1} bytes); quarantined files and their reasons are in {2}.",
            deletions.Count, deletions.Sum(deletion => deletion.Bytes), Markup.Escape(store.QuarantineDirectory));
        return 0;
    }

    private static int GeneratePressFit(CommandArguments arguments, IAnsiConsole console)
    {
        var output = arguments.OptionalText("out") ?? throw new CommandLineException("vault generate-press-fit needs --out DIR.");
        int count = arguments.Number("count", 200);
        int seed = arguments.Number("seed", 1);
        double faultyShare = arguments.OptionalReal("faulty-share") ?? 0.3;
        if (count < 1 || !(faultyShare >= 0 && faultyShare <= 1))
        {
            throw new CommandLineException("--count must be at least 1 and --faulty-share between 0 and 1.");
        }

        var written = PressFitFiles.Write(output, count, seed, faultyShare);
        console.MarkupLine(CultureInfo.InvariantCulture,
            "Wrote {0} press-fit curves ({1} faulty) with label sidecars to {2}; import them with [bold]fedctl vault import --state DIR --kind force {2}[/].",
            written.Count, written.Count(curve => curve.Fault != PressFitFault.None), Markup.Escape(Path.GetFullPath(output)));
        return 0;
    }

    private static string State(CommandArguments arguments, string subcommand) =>
        arguments.OptionalText("state") ?? throw new CommandLineException($"vault {subcommand} needs --state DIR (the gateway's Gateway:StateDirectory).");

    private static VaultStore Existing(CommandArguments arguments, string subcommand)
    {
        try
        {
            return VaultStore.OpenExisting(State(arguments, subcommand), Options(arguments));
        }
        catch (FileNotFoundException error)
        {
            throw new CommandFailedException(error.Message);
        }
    }

    private static VaultOptions Options(CommandArguments arguments)
    {
        var options = new VaultOptions { MaxAgeDays = 0, MaxBytes = 0 };
        if (arguments.OptionalNumber("max-age-days") is { } days)
        {
            options.MaxAgeDays = days;
        }

        if (arguments.OptionalText("max-bytes") is { } bytes)
        {
            options.MaxBytes = long.TryParse(bytes, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
                ? value
                : throw new CommandLineException($"--max-bytes takes a whole number of bytes, not '{bytes}'.");
        }

        return options;
    }

    private static VaultKind? Kind(CommandArguments arguments) =>
        arguments.OptionalText("kind") is not { } name
            ? null
            : VaultKinds.TryParse(name, out var kind) ? kind : throw new CommandLineException($"--kind must be logs, overrides, photos or force, not '{name}'.");

    private static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
}
