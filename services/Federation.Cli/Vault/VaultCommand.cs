using System.CommandLine;
using System.Globalization;
using Federation.Vault;
using Federation.Vault.PressFit;
using Spectre.Console;

namespace Federation.Cli.Vault;

/// <summary><c>fedctl vault</c>: imports raw data into a gateway's on-site vault and lists it, on the gateway's box.</summary>
public static class VaultCommand
{
    /// <summary>Builds <c>fedctl vault</c>; <c>import</c> exits 1 when any imported file was quarantined.</summary>
    public static Command Create(FedctlContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var listState = CommonOptions.State();
        var listKind = KindOption("only objects of this kind: logs, overrides, photos or force", required: false);
        var ls = new Command("ls", "every stored object: import time, kind, format, size, records, label and sample rate, SHA-256") { listState, listKind };
        ls.SetAction(parsed => List(Existing(parsed.GetValue(listState)!), parsed.GetValue(listKind), context.Console));

        var statsState = CommonOptions.State();
        var stats = new Command("stats", "per kind: objects, bytes, oldest and newest import, quarantined files") { statsState };
        stats.SetAction(parsed => Stats(Existing(parsed.GetValue(statsState)!), context.Console));

        return new Command("vault", "import raw data into a gateway's on-site vault and list it, on the gateway's box (no aggregator, no token)")
        {
            Import(context), ls, stats, GeneratePressFit(context),
        };
    }

    private static Command Import(FedctlContext context)
    {
        var state = CommonOptions.State();
        var kind = KindOption("what the files are: logs, overrides, photos or force", required: true);
        var paths = new Argument<string[]>("PATH") { Description = "files, or folders whose files are all imported", Arity = ArgumentArity.OneOrMore };
        var label = CommonOptions.Text("--label", "L", "label every photo or force file (else a NAME.label sidecar; photos also by folder)");
        label.Validators.Add(result =>
        {
            if (result.Tokens is [var token] && !VaultValidator.IsValidLabel(token.Value))
            {
                result.AddError($"--label \"{token.Value}\" must be 1 to 64 letters, digits, '_', '.' or '-' starting with a letter or digit.");
            }
        });
        var conditions = new Option<string[]>("--condition")
        {
            HelpName = "KEY=VALUE",
            Description = "a condition every file was taken under, e.g. lighting=dim or line=3; repeat for several (else a NAME.conditions sidecar's)",
            Arity = ArgumentArity.ZeroOrMore,
        };
        conditions.Validators.Add(result =>
        {
            if (result.Tokens.Count > 0 && VaultConditions.FromOptions([.. result.Tokens.Select(token => token.Value)], out var problem) is null)
            {
                result.AddError($"{problem}.");
            }
        });
        var maxAgeDays = CommonOptions.WholeNumber("--max-age-days", "N", "after importing, delete objects imported more than N days ago (as Gateway:Vault:MaxAgeDays does)");
        var maxBytes = new Option<long?>("--max-bytes")
        {
            HelpName = "N",
            Description = "after importing, delete the oldest objects until the vault holds at most N bytes (as Gateway:Vault:MaxBytes does)",
            CustomParser = result =>
            {
                if (long.TryParse(result.Tokens[0].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
                {
                    return value;
                }

                result.AddError($"--max-bytes takes a whole number of bytes, not '{result.Tokens[0].Value}'.");
                return null;
            },
        };
        var import = new Command(
            "import",
            "validate each file whole, store it by SHA-256 or quarantine it with the line and problem (sources are copied, never changed); " +
            "exit 1 if any was quarantined. Import deletes nothing by itself; --max-age-days and --max-bytes apply retention limits after it, as the running gateway does")
        {
            state, kind, paths, label, conditions, maxAgeDays, maxBytes,
        };
        import.Validators.Add(result =>
        {
            // Read from the typed text: a --kind that does not parse has its own error.
            if (result.GetResult(label) is not null && result.GetResult(kind)?.Tokens is [var given]
                && VaultKinds.TryParse(given.Value, out var named) && named is not (VaultKind.Photos or VaultKind.Force))
            {
                result.AddError("--label applies to --kind photos and --kind force only.");
            }
        });
        import.SetAction(parsed =>
        {
            var options = new VaultOptions { MaxAgeDays = parsed.GetValue(maxAgeDays) ?? 0, MaxBytes = parsed.GetValue(maxBytes) ?? 0 };
            var given = parsed.GetValue(conditions) is { Length: > 0 } values ? VaultConditions.FromOptions(values, out _) : null;
            return Import(parsed.GetValue(state)!, parsed.GetValue(kind)!.Value, parsed.GetValue(paths)!, parsed.GetValue(label), given, options, context);
        });
        return import;
    }

    private static Command GeneratePressFit(FedctlContext context)
    {
        var output = CommonOptions.Text("--out", "DIR", "where to write the curves", required: true);
        var count = new Option<int>("--count") { HelpName = "N", Description = "how many curves (at least 1)", DefaultValueFactory = _ => 200 };
        var seed = new Option<int>("--seed") { HelpName = "N", Description = "random seed", DefaultValueFactory = _ => 1 };
        var faultyShare = new Option<double>("--faulty-share") { HelpName = "X", Description = "share of faulty curves, 0 to 1", DefaultValueFactory = _ => 0.3 };
        count.Validators.Add(result =>
        {
            if (result.Tokens is [var token] && !(int.TryParse(token.Value, CultureInfo.InvariantCulture, out var value) && value >= 1))
            {
                result.AddError("--count must be at least 1.");
            }
        });
        faultyShare.Validators.Add(result =>
        {
            if (result.Tokens is [var token] && !(double.TryParse(token.Value, CultureInfo.InvariantCulture, out var value) && value is >= 0 and <= 1))
            {
                result.AddError("--faulty-share must be between 0 and 1.");
            }
        });
        var generate = new Command("generate-press-fit", "synthetic press-fit force curves (docs/PRESS_FIT.md), each with a good/faulty sidecar") { output, count, seed, faultyShare };
        generate.SetAction(parsed =>
        {
            var directory = parsed.GetValue(output)!;
            var written = PressFitFiles.Write(directory, parsed.GetValue(count), parsed.GetValue(seed), parsed.GetValue(faultyShare));
            context.Console.MarkupLine(CultureInfo.InvariantCulture,
                "Wrote {0} press-fit curves ({1} faulty) with label sidecars to {2}; import them with [bold]fedctl vault import --state DIR --kind force {2}[/].",
                written.Count, written.Count(curve => curve.Fault != PressFitFault.None), Markup.Escape(Path.GetFullPath(directory)));
            return 0;
        });
        return generate;
    }

    private static int Import(string directory, VaultKind kind, IReadOnlyList<string> paths, string? label, IReadOnlyList<string>? conditions, VaultOptions options, FedctlContext context)
    {
        var console = context.Console;
        if (paths.FirstOrDefault(path => !File.Exists(path) && !Directory.Exists(path)) is { } missing)
        {
            throw new CommandFailedException($"No file or folder {missing}; nothing was imported.");
        }

        // The vault is created on first import, as the gateway would create it. fedctl does not know the gateway's
        // configured limits, so it deletes nothing unless --max-age-days or --max-bytes is given; the gateway applies
        // its own limits at its next poll.
        var importer = new VaultImporter(VaultStore.Open(directory, options));
        var results = importer.ImportAll(kind, paths, label, new ProgressLines(context.Error, "imported", "files").Report, conditions);
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

    private static int List(VaultStore store, VaultKind? kind, IAnsiConsole console)
    {
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

    private static int Stats(VaultStore store, IAnsiConsole console)
    {
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

    // Retention limits are import's business: listing and counting delete nothing, so they open with none.
    private static VaultStore Existing(string directory)
    {
        try
        {
            return VaultStore.OpenExisting(directory, new VaultOptions { MaxAgeDays = 0, MaxBytes = 0 });
        }
        catch (FileNotFoundException error)
        {
            throw new CommandFailedException(error.Message);
        }
    }

    private static Option<VaultKind?> KindOption(string description, bool required) => new("--kind")
    {
        HelpName = "KIND",
        Description = description,
        Required = required,
        CustomParser = result =>
        {
            if (VaultKinds.TryParse(result.Tokens[0].Value, out var kind))
            {
                return kind;
            }

            result.AddError($"--kind must be logs, overrides, photos or force, not '{result.Tokens[0].Value}'.");
            return null;
        },
    };

    private static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
}
