using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text;
using Federation.Audit.Bundles;
using Federation.Contracts.Api;
using Federation.Audit.Transparency;
using Federation.EventStore;
using Federation.Trust.Transparency;
using Spectre.Console;

namespace Federation.Cli.Audit;

/// <summary>
/// <c>fedctl audit proof</c>: fetches an inclusion or consistency proof (from the aggregator's API,
/// or computes it from an export bundle) and verifies it locally against a signed checkpoint that
/// is itself verified with the log's key (docs/FORMATS.md sections 8 and 9). Nothing the source
/// serves is trusted: the leaf hash is recomputed from the event, and a root below the checkpoint's
/// size is only accepted once a consistency proof ties it to the signed root.
/// </summary>
public static class ProofCommand
{
    /// <summary>Builds <c>fedctl audit proof</c>; it exits 0 when the proof verifies, 1 when it does not.</summary>
    public static Command Create(FedctlContext context, ApiOptions api)
    {
        var position = CommonOptions.WholeNumber("--position", "N", "inclusion: prove the event at position N is in the log");
        var treeSize = CommonOptions.WholeNumber("--tree-size", "M", "inclusion in the log's first M events (default: the signed checkpoint's size)");
        var from = CommonOptions.WholeNumber("--from", "A", "consistency: prove the log of size A is a prefix of the log of size B");
        var to = CommonOptions.WholeNumber("--to", "B", "the larger size (default: the signed checkpoint's size)");
        var kept = CommonOptions.Text("--checkpoint", "FILE", "a signed checkpoint of size A you kept, to pin the old root");
        var bundle = CommonOptions.Bundle();
        var logKey = AuditCommand.LogKeyOption();
        var proof = new Command(
            "proof",
            "fetch an inclusion (--position) or consistency (--from) proof, or compute it from a bundle, and verify it here against the signed checkpoint: prints leaf hash, proof hashes, roots, then OK or FAIL")
        {
            position, treeSize, from, to, kept, bundle, logKey,
        };
        proof.Validators.Add(result =>
        {
            if (result.GetResult(position) is null == result.GetResult(from) is null)
            {
                result.AddError("audit proof needs either --position N (inclusion) or --from A (consistency).");
            }
        });
        api.AddTo(proof, offline: bundle);
        proof.SetAction(async parsed =>
        {
            var console = context.Console;
            IProofSource source = parsed.GetValue(bundle) is { } directory ? new BundleProofs(directory) : new ApiProofs(api.Client(parsed));
            var verifier = await LogKeyAsync(parsed.GetValue(logKey), source, console);
            var signed = await source.CheckpointAsync();
            if (!Checkpoint.TryOpenSigned(signed, verifier.Name, [verifier], out var checkpoint, out var error))
            {
                console.WriteLine($"FAIL: the checkpoint from {source.Description} is not signed by {verifier.VerifierKey}: {error}");
                return 1;
            }

            console.WriteLine($"checkpoint   {checkpoint.Origin}, size {checkpoint.Size}, root {Hex(checkpoint.RootHash)} (signature verified with {verifier.VerifierKey})");
            return parsed.GetValue(position) is { } leaf
                ? await InclusionAsync(source, checkpoint, leaf, parsed.GetValue(treeSize) ?? checkpoint.Size, console)
                : await ConsistencyAsync(source, checkpoint, verifier, parsed.GetValue(from)!.Value, parsed.GetValue(to) ?? checkpoint.Size, parsed.GetValue(kept), console);
        });
        return proof;
    }

    private static async Task<int> InclusionAsync(IProofSource source, Checkpoint checkpoint, long position, long treeSize, IAnsiConsole console)
    {
        if (treeSize < 1 || treeSize > checkpoint.Size || position < 1 || position > treeSize)
        {
            throw new CommandFailedException($"Need 1 <= position <= tree size <= {checkpoint.Size} (the signed checkpoint's size); got position {position}, tree size {treeSize}.");
        }

        var recorded = await source.EventAsync(position);
        var leafHash = MerkleHash.Leaf(EventLeaf.Bytes(recorded));
        var proof = await source.InclusionAsync(position, treeSize);
        var problems = new List<string>();
        console.WriteLine($"event        position {recorded.Position}, {recorded.Type}, stream {recorded.StreamId} v{recorded.StreamVersion}");
        console.WriteLine($"leaf hash    {Hex(leafHash)} (SHA-256(0x00 ‖ leaf bytes), computed here from the event)");
        if (recorded.Position != position)
        {
            problems.Add($"{source.Description} served position {recorded.Position} for position {position}");
        }

        if (!proof.LeafHash.AsSpan().SequenceEqual(leafHash))
        {
            problems.Add($"{source.Description} states leaf hash {Hex(proof.LeafHash)}, not the event's");
        }

        WriteHashes(console, $"inclusion proof, leaf {position - 1} of tree size {treeSize}", proof.Proof);
        var root = treeSize == checkpoint.Size ? checkpoint.RootHash : proof.RootHash;
        if (!MerkleProofs.VerifyInclusion(position - 1, treeSize, leafHash, proof.Proof, root, out var error))
        {
            problems.Add($"the inclusion proof does not verify: {error}");
        }

        console.WriteLine($"root         {Hex(root)} at size {treeSize}{(treeSize == checkpoint.Size ? " (the signed checkpoint's)" : " (as served; tied to the checkpoint below)")}");
        if (treeSize < checkpoint.Size)
        {
            await TieToCheckpointAsync(source, checkpoint, treeSize, root, problems, console);
        }

        return Conclude(console, problems, $"event {position} is leaf {position - 1} of the log the checkpoint of size {checkpoint.Size} signs");
    }

    private static async Task<int> ConsistencyAsync(
        IProofSource source, Checkpoint checkpoint, NoteVerifier verifier, long from, long to, string? keptCheckpoint, IAnsiConsole console)
    {
        if (from < 1 || from > to || to > checkpoint.Size)
        {
            throw new CommandFailedException($"Need 1 <= from <= to <= {checkpoint.Size} (the signed checkpoint's size); got from {from}, to {to}.");
        }

        var proof = await source.ConsistencyAsync(from, to);
        var problems = new List<string>();
        var oldRoot = proof.FromRoot;
        if (keptCheckpoint is not null)
        {
            if (!Checkpoint.TryOpenSigned(await File.ReadAllTextAsync(keptCheckpoint), verifier.Name, [verifier], out var kept, out var keptError))
            {
                throw new CommandFailedException($"{keptCheckpoint} is not a checkpoint signed by {verifier.VerifierKey}: {keptError}");
            }

            if (kept.Size != from)
            {
                throw new CommandFailedException($"{keptCheckpoint} is of size {kept.Size}; pass --from {kept.Size} to check it.");
            }

            oldRoot = kept.RootHash;
            if (!proof.FromRoot.AsSpan().SequenceEqual(oldRoot))
            {
                problems.Add($"{source.Description} states root {Hex(proof.FromRoot)} at size {from}, but your checkpoint says {Hex(oldRoot)}: the log forked or was rewritten");
            }
        }

        console.WriteLine($"old root     {Hex(oldRoot)} at size {from} ({(keptCheckpoint is null ? "as served: pass --checkpoint FILE with a checkpoint you kept to pin it" : $"from your signed checkpoint {keptCheckpoint}")})");
        var newRoot = to == checkpoint.Size ? checkpoint.RootHash : proof.ToRoot;
        WriteHashes(console, $"consistency proof, size {from} -> {to}", proof.Proof);
        if (!MerkleProofs.VerifyConsistency(from, to, proof.Proof, oldRoot, newRoot, out var error))
        {
            problems.Add($"the consistency proof does not verify: {error}");
        }

        console.WriteLine($"new root     {Hex(newRoot)} at size {to}{(to == checkpoint.Size ? " (the signed checkpoint's)" : " (as served; tied to the checkpoint below)")}");
        if (to < checkpoint.Size)
        {
            await TieToCheckpointAsync(source, checkpoint, to, newRoot, problems, console);
        }

        return Conclude(console, problems, $"the log of size {from} is a prefix of the log of size {to}");
    }

    // A root below the checkpoint's size is only as good as the consistency proof from it to the signed root.
    private static async Task TieToCheckpointAsync(IProofSource source, Checkpoint checkpoint, long size, byte[] root, List<string> problems, IAnsiConsole console)
    {
        var tie = await source.ConsistencyAsync(size, checkpoint.Size);
        WriteHashes(console, $"consistency proof, size {size} -> {checkpoint.Size} (ties that root to the checkpoint)", tie.Proof);
        if (!MerkleProofs.VerifyConsistency(size, checkpoint.Size, tie.Proof, root, checkpoint.RootHash, out var error))
        {
            problems.Add($"the root at size {size} is not consistent with the signed checkpoint: {error}");
        }
    }

    private static int Conclude(IAnsiConsole console, List<string> problems, string claim)
    {
        if (problems.Count == 0)
        {
            console.WriteLine($"OK: {claim}.");
            return 0;
        }

        foreach (var problem in problems)
        {
            console.WriteLine($"  ✗ {problem}");
        }

        console.WriteLine("FAIL: the proof does not hold.");
        return 1;
    }

    private static void WriteHashes(IAnsiConsole console, string title, IReadOnlyList<byte[]> hashes)
    {
        console.WriteLine($"{title}: {hashes.Count} hash{(hashes.Count == 1 ? "" : "es")}");
        for (var index = 0; index < hashes.Count; index++)
        {
            console.WriteLine($"  [{index}] {Hex(hashes[index])}");
        }
    }

    private static async Task<NoteVerifier> LogKeyAsync(string? pinned, IProofSource source, IAnsiConsole console)
    {
        string text;
        if (pinned is not null)
        {
            text = File.Exists(pinned) ? (await File.ReadAllTextAsync(pinned)).Trim() : pinned.Trim();
        }
        else
        {
            text = (await source.LogKeyAsync()).Trim();
            console.WriteLine($"warning: no --log-key given: trusting the log key from {source.Description} on first use; pin the key you obtained independently.");
        }

        return NoteVerifier.TryParse(text, out var verifier, out var error)
            ? verifier
            : throw new CommandFailedException($"'{text}' is not a note verifier key (name+keyhash+base64): {error}");
    }

    private static string Hex(byte[] hash) => Convert.ToHexStringLower(hash);

    private interface IProofSource
    {
        string Description { get; }

        Task<string> LogKeyAsync();

        Task<string> CheckpointAsync();

        Task<RecordedEvent> EventAsync(long position);

        Task<InclusionProof> InclusionAsync(long position, long treeSize);

        Task<ConsistencyProof> ConsistencyAsync(long from, long to);
    }

    // What the aggregator serves; every answer is checked by the caller.
    private sealed class ApiProofs(AggregatorClient client) : IProofSource
    {
        public string Description => "the aggregator's API";

        public async Task<string> LogKeyAsync() => Encoding.UTF8.GetString((await client.GetBytesAsync("/api/log/key")).Bytes);

        public async Task<string> CheckpointAsync() => Encoding.UTF8.GetString((await client.GetBytesAsync("/api/log/checkpoint")).Bytes);

        public async Task<RecordedEvent> EventAsync(long position)
        {
            var (bytes, _) = await client.GetBytesAsync($"/api/events?from={position.ToString(CultureInfo.InvariantCulture)}&limit=1");
            using var document = JsonDocument.Parse(bytes);
            return document.RootElement.GetArrayLength() == 1
                ? AuditBundle.ParseEvent(document.RootElement[0].GetRawText())
                : throw new CommandFailedException($"The aggregator serves no event at position {position}.");
        }

        public Task<InclusionProof> InclusionAsync(long position, long treeSize) =>
            client.GetAsync<InclusionProof>($"/api/log/inclusion?position={position.ToString(CultureInfo.InvariantCulture)}&treeSize={treeSize.ToString(CultureInfo.InvariantCulture)}");

        public Task<ConsistencyProof> ConsistencyAsync(long from, long to) =>
            client.GetAsync<ConsistencyProof>($"/api/log/consistency?from={from.ToString(CultureInfo.InvariantCulture)}&to={to.ToString(CultureInfo.InvariantCulture)}");
    }

    // An export bundle: the proofs are computed from its events, the checkpoint is its checkpoint.txt.
    private sealed class BundleProofs : IProofSource
    {
        private readonly string directory;
        private readonly List<string> lines;
        private readonly MerkleTree tree = new();

        public BundleProofs(string directory)
        {
            this.directory = Path.GetFullPath(directory);
            var events = Path.Combine(this.directory, AuditBundle.EventsFile);
            if (!File.Exists(events) || !File.Exists(Path.Combine(this.directory, AuditBundle.CheckpointFile)))
            {
                throw new CommandFailedException($"{this.directory} has no {AuditBundle.EventsFile} or {AuditBundle.CheckpointFile}: is it an audit bundle (fedctl audit export)?");
            }

            lines = [.. File.ReadLines(events, Encoding.UTF8)];
            foreach (var line in lines)
            {
                try
                {
                    tree.Append(EventLeaf.Bytes(AuditBundle.ParseEvent(line)));
                }
                catch (JsonException)
                {
                    // Keeps later leaves at their index; any proof through this leaf fails, as it should.
                    tree.Append(Encoding.UTF8.GetBytes(line));
                }
            }
        }

        public string Description => $"bundle {directory}";

        public Task<string> LogKeyAsync()
        {
            var path = Path.Combine(directory, AuditBundle.LogKeyFile);
            return File.Exists(path) ? File.ReadAllTextAsync(path) : throw new CommandFailedException($"{path} is missing; pass --log-key.");
        }

        public Task<string> CheckpointAsync() => File.ReadAllTextAsync(Path.Combine(directory, AuditBundle.CheckpointFile));

        public Task<RecordedEvent> EventAsync(long position)
        {
            try
            {
                return Task.FromResult(AuditBundle.ParseEvent(lines[checked((int)position - 1)]));
            }
            catch (JsonException error)
            {
                throw new CommandFailedException($"{AuditBundle.EventsFile} line {position} is not a stored event ({error.Message}); run fedctl audit verify on the bundle.");
            }
        }

        public Task<InclusionProof> InclusionAsync(long position, long treeSize) =>
            Task.FromResult(new InclusionProof(position, treeSize, tree.LeafHash(position - 1), tree.RootHash(treeSize), tree.InclusionProof(position - 1, RequireSize(treeSize))));

        public Task<ConsistencyProof> ConsistencyAsync(long from, long to) =>
            Task.FromResult(new ConsistencyProof(from, to, tree.RootHash(from), tree.RootHash(to), tree.ConsistencyProof(from, RequireSize(to))));

        private long RequireSize(long size) =>
            size <= tree.Size ? size : throw new CommandFailedException($"{AuditBundle.EventsFile} holds {tree.Size} events, fewer than the {size} asked for.");
    }
}
