using Federation.Audit;
using Federation.Audit.Bundles;
using Federation.Cli.Audit;
using Federation.Cli.Demo;
using Federation.Cli.Events;
using Federation.Cli.Gateway;
using Federation.Cli.Gateways;
using Federation.Cli.Keys;
using Federation.Cli.Models;
using Federation.Cli.Policy;
using Federation.Cli.Rounds;
using Federation.Cli.Vault;
using Federation.Cli;
using Spectre.Console;

// fedctl: the command line for the model team, operators and auditors.
if (Console.IsOutputRedirected)
{
    // Piped or logged output has no terminal width; keep each table row on one line.
    AnsiConsole.Profile.Width = 200;
}

var arguments = new CommandArguments(args.Skip(1));
try
{
    return args.FirstOrDefault() switch
    {
        "demo" => await DemoCommand.RunAsync(DemoSettings.From(arguments)),
        "events" => await EventsCommand.RunAsync(arguments),
        "keys" => KeysCommand.Run(arguments, AnsiConsole.Console),
        "gateways" => await GatewaysCommand.RunAsync(arguments, AggregatorClient.From(arguments), AnsiConsole.Console, DateTimeOffset.UtcNow),
        "rounds" => await RoundsCommand.RunAsync(arguments, AggregatorClient.From(arguments), AnsiConsole.Console),
        "models" => await ModelsCommand.RunAsync(arguments, AggregatorClient.From(arguments), AnsiConsole.Console),
        "gateway" => await GatewayCommand.RunAsync(arguments, AnsiConsole.Console),
        "vault" => VaultCommand.Run(arguments, AnsiConsole.Console),
        "policy" => PolicyCommand.Run(arguments, AnsiConsole.Console, DateTimeOffset.UtcNow),
        "audit" => await AuditCommand.RunAsync(arguments, () => AggregatorClient.From(arguments), AnsiConsole.Console),
        null or "help" or "--help" or "-h" => Usage(0),
        var unknown => Usage(2, $"Unknown command '{unknown}'."),
    };
}
catch (CommandLineException error)
{
    return Usage(2, error.Message);
}
// The audit library reports a bundle or version it cannot use as AuditException; to the user both are a failed command.
catch (Exception error) when (error is CommandFailedException or AuditException)
{
    AnsiConsole.MarkupLineInterpolated($"[red]{error.Message}[/]");
    return 1;
}

static int Usage(int exitCode, string? problem = null)
{
    if (problem is not null)
    {
        AnsiConsole.MarkupLineInterpolated($"[red]{problem}[/]");
    }

    Console.WriteLine("""
        usage: fedctl <command> [options]

          demo     run a whole federation on this machine (in-memory bus, SQLite store)
                   --data DIR      where to keep the event history and payloads (default: data/demo; emptied first)
                   --rounds N      rounds to run (default: 10)
                   --model KIND    logistic-regression (default) or mlp
                   --strategy NAME aggregation strategy (default: fedavg); --param NAME=VALUE sets its parameters
          events   list the event history of a data folder
                   --data DIR      the folder a demo or aggregator wrote (default: data/demo)
                   --from N        start at global position N (default: 1)
                   --json          print each event's stored JSON

        against a running aggregator (--aggregator URL or FEDERATION_AGGREGATOR, default http://127.0.0.1:5080;
        --token TOKEN or FEDERATION_TOKEN; reading needs an auditor or operator token, changing needs an operator token):
          gateways ls                   every key of every gateway: enrolled, valid until, revoked, status now
          gateways enrol --id ID --public-key B64 (--policy SHA256 | --policy-file FILE)...
                                        enrol a new gateway with the key from `keys init` and the policies it may release under
                                        (--policy-file hashes the file's exact bytes, as the gateway does)
          gateways rotate --id ID --public-key B64 [--overlap 24h]
                                        replace the gateway's key; the old one stays valid for the overlap (s, m, h, d; at most 30d)
          gateways revoke --id ID --key-id KEYID --reason TEXT
                                        refuse everything the key signs from now on (KEYID: full, or a unique prefix of 8+ digits)
          gateways allow-policy --id ID (--policy SHA256 | --policy-file FILE)... [--replace]
                                        add allowed policies (with --replace: set exactly these)
          rounds ls                     every round: outcome, contributions, model, reported accuracy
          rounds show N                 one round: strategy, every contribution accepted or rejected and why
          rounds open [options]         open the next round; options override the aggregator's defaults:
                   --strategy NAME      fedavg fedavgm fedprox fedadam fedyogi fedadagrad fedmedian trimmed-mean krum multi-krum bulyan
                   --param NAME=VALUE   a strategy parameter (repeatable), e.g. --param f=1
                   --min N  --duration SECONDS  --invite ID,ID  --epochs N  --batch-size N  --lr X  --mu X  --max-norm X
          rounds abort N                abort the open round N
          models ls                     every model version with its provenance summary
          models pull V [--out FILE]    download version V and check it against its recorded SHA-256
          models metrics V              evaluation of version V: weighted over gateways, per slice, per gateway
          audit export --out DIR [--with-payloads]
                                        write an audit bundle: the signed checkpoint, exactly the events it covers (gateway
                                        key events included), the log key and, with --with-payloads, every payload the events name
          audit provenance --model-version N [--bundle DIR]
                                        what made version N: round, strategy, each contribution (key and whether it was revoked
                                        later, policy hash, sequence, payload, signature, event position) and the round's rejections
          audit contributions (--gateway ID | --key KEYID) [--bundle DIR]
                                        everything one gateway sent, or one key signed, accepted or rejected, and the version that used it
          audit proof --position N [--tree-size M] | --from A [--to B] [--checkpoint FILE]  [--bundle DIR] [--log-key KEY]
                                        fetch an inclusion (or consistency) proof, or compute it from a bundle, and verify it here
                                        against the signed checkpoint: prints leaf hash, proof hashes, roots, then OK or FAIL
          audit reaggregate --model-version N [--bundle DIR] [--out FILE]
                                        recompute version N from its recorded inputs; exit 0 and "confirmed" only when its
                                        SHA-256 (and its strategy state's) equal the published ones

        on a gateway's box, reading and writing its state folder (no aggregator, no token):
          policy check FILE             load a release policy as the gateway does: what it lets leave, its SHA-256 (to enrol),
                                        or the file, line and field that make it invalid; exit 1 if invalid or expired
          gateway decisions --state DIR [--denied]
                                        every release decision, newest first: what left (signed document, message id) or why not
          gateway outbox --state DIR [--show MESSAGE_ID]
                                        every signed message let out, oldest first: written, sent (or waiting, failed attempts);
                                        --show prints one message's signed manifest or report exactly as it left
          vault import --state DIR --kind logs|overrides|photos|force PATH... [--label L]
                                        validate each file whole, store it by SHA-256 or quarantine it with the line and
                                        problem (sources are copied, never changed); --label labels every photo or force file
                                        (else a NAME.label sidecar; photos also by folder); exit 1 if any was quarantined
          vault ls --state DIR [--kind K]
                                        every stored object: import time, kind, format, size, records, label and sample rate, SHA-256
          vault stats --state DIR       per kind: objects, bytes, oldest and newest import, quarantined files
                   (import deletes nothing by itself; --max-age-days N --max-bytes N apply retention limits after it,
                    as the running gateway does with Gateway:Vault:MaxAgeDays and Gateway:Vault:MaxBytes)
          vault generate-press-fit --out DIR [--count 200] [--seed 1] [--faulty-share 0.3]
                                        synthetic press-fit force curves (docs/PRESS_FIT.md), each with a good/faulty sidecar

        offline, no aggregator and no token needed:
          audit verify DIR [--log-key KEY]
                                        check a bundle: checkpoint signature, events against the signed root, the key events,
                                        every contribution signature by a key valid at receipt, every model version's contributions, payload hashes;
                                        prints each problem with its file, line, position and field; exit 1 if any.
                                        KEY (or a file holding it) is the log's verifier key, obtained independently; without
                                        it the bundle's own log-key.txt is trusted on first use (with a warning)
        """);
    return exitCode;
}
