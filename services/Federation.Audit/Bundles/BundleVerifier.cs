using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text;
using Federation.Audit.Contributions;
using Federation.Audit.History;
using Federation.Audit.Registry;
using Federation.Audit.Transparency;
using Federation.Audit;
using Federation.Contracts.Api;
using Federation.Contracts.Events;
using Federation.Contracts.Signing;
using Federation.EventStore;
using Federation.Policies;
using Federation.Trust.Transparency;
using Federation.Trust;

namespace Federation.Audit.Bundles;

/// <summary>
/// Verifies an audit bundle completely offline (docs/FORMATS.md section 10) and says where each
/// problem is: (1) the checkpoint is signed by the log key, (2) the events are exactly the ones
/// the checkpoint commits to, (3) the key events (enrolled, rotated, revoked, policies allowed)
/// are well formed and fold into one key history, (4) every accepted contribution (and evaluation
/// report) is signed by a key that the key events before it made valid at its receipt, under an
/// allowed policy, and agrees with what it signed, (5) every model version lists exactly the accepted contributions of its round,
/// and (6) every payload file hashes to its name and every payload the events name is there.
/// </summary>
/// <param name="directory">The bundle folder.</param>
/// <param name="pinnedLogKey">
/// The log's verifier key as the auditor obtained it, out of band; or a file holding it. When null,
/// the bundle's own log-key.txt is used, which proves only that the bundle is self-consistent
/// (trust on first use) and is reported as a warning.
/// </param>
public sealed class BundleVerifier(string directory, string? pinnedLogKey = null)
{
    /// <summary>The phase names passed to the progress callback.</summary>
    public const string EventsPhase = "events";

    /// <summary>The phase of hashing payload files.</summary>
    public const string PayloadsPhase = "payloads";

    /// <summary>Runs every check; never throws for a bad bundle, only reports findings.</summary>
    /// <param name="progress">Called now and then with (phase, done, total); total is 0 when unknown.</param>
    public AuditReport Verify(Action<string, long, long>? progress = null) =>
        new Run(directory, pinnedLogKey, progress ?? ((_, _, _) => { })).Execute();

    private sealed class Run(string directory, string? pinnedLogKey, Action<string, long, long> progress)
    {
        private const int ProgressEvery = 500;
        private static readonly byte[] DataPrefix = "{\"data\":"u8.ToArray();

        private readonly List<AuditFinding>[] findings = [.. Enumerable.Range(0, 7).Select(_ => new List<AuditFinding>())];
        private readonly List<string> warnings = [];
        private readonly Dictionary<string, KeyTrack> keys = new(StringComparer.Ordinal);
        private readonly Dictionary<string, long> invalidGateways = new(StringComparer.Ordinal);
        private readonly Dictionary<string, long> invalidKeys = new(StringComparer.Ordinal);
        private readonly Dictionary<string, long> highestSequences = new(StringComparer.Ordinal);
        private GatewayRegistry registry = GatewayRegistry.Empty;
        private long keyEvents;
        private readonly Dictionary<int, RoundTrack> rounds = [];
        private readonly Dictionary<int, VersionTrack> versions = [];
        private readonly Dictionary<string, PayloadReference> referenced = new(StringComparer.Ordinal);
        private readonly MerkleTree tree = new();

        private NoteVerifier? logKey;
        private bool logKeyPinned;
        private Checkpoint? checkpoint;
        private long? unverifiedSize;
        private bool rootMatches;
        private long eventsChecked;
        private long contributionsChecked;
        private long signaturesChecked;
        private long signaturesVerified;
        private int modelVersions;
        private int nextVersion;
        private int modelVersionsTraced;
        private int? payloadsChecked;

        public AuditReport Execute()
        {
            CheckCheckpoint();
            CheckEvents();
            CheckGatewaysFile();
            CheckPayloads();
            var revoked = keys.Values
                .Where(track => track.RevokedPosition is not null)
                .Select(track => new RevokedKey(track.GatewayId, track.KeyId, track.RevokedAt!.Value, track.RevokedPosition!.Value, track.RevokedReason ?? "", [.. track.SignedPositions]))
                .ToList();
            return new AuditReport(
                [.. findings.SelectMany(list => list)], warnings, logKey?.VerifierKey, logKeyPinned, checkpoint?.Size, rootMatches,
                eventsChecked, contributionsChecked, signaturesChecked, signaturesVerified, modelVersions, modelVersionsTraced, payloadsChecked)
            {
                KeyEvents = keyEvents,
                Gateways = registry.Gateways.Count,
                Keys = registry.Gateways.Values.Sum(gateway => gateway.Keys.Length),
                RevokedKeys = revoked,
            };
        }

        private void Fail(int check, string where, string problem) => findings[check].Add(new AuditFinding(check, where, problem));

        private string BundlePath(string name) => Path.Combine(directory, name);

        // (1) The checkpoint is a signed note by the log key, from the origin the key is named after.
        private void CheckCheckpoint()
        {
            var keyFile = BundlePath(AuditBundle.LogKeyFile);
            var bundleKey = File.Exists(keyFile) ? File.ReadAllText(keyFile).Trim() : null;
            string keyText;
            string keySource;
            if (pinnedLogKey is not null)
            {
                keyText = File.Exists(pinnedLogKey) ? File.ReadAllText(pinnedLogKey).Trim() : pinnedLogKey.Trim();
                keySource = "--log-key";
                logKeyPinned = true;
                if (bundleKey is not null && bundleKey != keyText)
                {
                    warnings.Add($"{AuditBundle.LogKeyFile} in the bundle holds another key ({bundleKey}); it is ignored, the pinned key is used.");
                }
            }
            else if (bundleKey is not null)
            {
                keyText = bundleKey;
                keySource = AuditBundle.LogKeyFile;
                warnings.Add(
                    $"No --log-key given: the checkpoint is checked against {AuditBundle.LogKeyFile} from the bundle itself (trust on first use). " +
                    "Whoever could rewrite the bundle could have replaced that key too; pin the aggregator's verifier key, obtained independently, with --log-key.");
            }
            else
            {
                Fail(1, AuditBundle.LogKeyFile, "is missing and no --log-key was given: there is no key to check the checkpoint against.");
                keyText = "";
                keySource = "";
            }

            if (keySource.Length > 0 && !NoteVerifier.TryParse(keyText, out logKey, out var keyError))
            {
                Fail(1, keySource, $"is not a note verifier key (name+keyhash+base64): {keyError}.");
            }

            var path = BundlePath(AuditBundle.CheckpointFile);
            if (!File.Exists(path))
            {
                Fail(1, AuditBundle.CheckpointFile, "is missing: nothing says which history the log signed.");
                return;
            }

            var bytes = File.ReadAllBytes(path);
            var text = Encoding.UTF8.GetString(bytes);
            if (logKey is not null)
            {
                if (SignedNote.TryOpen(bytes, [logKey], out _, out var noteError))
                {
                    if (Checkpoint.TryOpenSigned(text, logKey.Name, [logKey], out checkpoint, out var error))
                    {
                        return;
                    }

                    Fail(1, AuditBundle.CheckpointFile, $"is signed by the log key but is not a checkpoint of origin \"{logKey.Name}\": {error}.");
                }
                else
                {
                    Fail(1, AuditBundle.CheckpointFile, $"is not a note validly signed by the log key {logKey.Name}+{logKey.KeyHash:x8} ({(logKeyPinned ? "pinned" : "from " + AuditBundle.LogKeyFile)}): {noteError}.");
                }
            }

            // Not authentic: its size only tells how many events to expect; its root is not compared.
            var split = text.LastIndexOf("\n\n", StringComparison.Ordinal);
            if (split >= 0 && Checkpoint.TryParse(text[..(split + 1)], out var unverified, out _))
            {
                unverifiedSize = unverified.Size;
            }
        }

        // (3) gateways.json is no longer exported: the key events are the one source. An older bundle
        // that still ships it must say exactly what the key events say.
        private void CheckGatewaysFile()
        {
            var path = BundlePath(AuditBundle.GatewaysFile);
            if (!File.Exists(path))
            {
                return;
            }

            List<GatewayKey>? listed;
            try
            {
                listed = JsonSerializer.Deserialize<List<GatewayKey>>(File.ReadAllBytes(path), ApiJson.Options);
            }
            catch (JsonException error)
            {
                Fail(3, AuditBundle.GatewaysFile, $"is not a JSON array of keys: {error.Message}");
                return;
            }

            var expected = registry.Gateways.Values.SelectMany(gateway => gateway.ListedKeys()).ToList();
            listed ??= [];
            for (var index = 0; index < Math.Max(listed.Count, expected.Count); index++)
            {
                var where = $"{AuditBundle.GatewaysFile} entry {index + 1}";
                if (index >= listed.Count)
                {
                    Fail(3, AuditBundle.GatewaysFile, $"lacks key {expected[index].KeyId} of gateway '{expected[index].Id}', which the key events enrol.");
                }
                else if (index >= expected.Count)
                {
                    Fail(3, where, $"lists key {listed[index].KeyId} of gateway '{listed[index].Id}', which no key event enrols.");
                }
                else if (!SameKey(listed[index], expected[index]))
                {
                    Fail(3, where, $"is {ShowKey(listed[index])}, but the key events say {ShowKey(expected[index])}: the events are the source of truth.");
                }
            }
        }

        private static bool SameKey(GatewayKey left, GatewayKey right) =>
            left.Id == right.Id && left.PublicKey == right.PublicKey && left.KeyId == right.KeyId && left.EnrolledAt == right.EnrolledAt
            && left.ValidUntil == right.ValidUntil && left.RevokedAt == right.RevokedAt;

        private static string ShowKey(GatewayKey key) =>
            $"gateway '{key.Id}' key {key.KeyId} ({key.PublicKey}) enrolled {key.EnrolledAt:O}, valid until {key.ValidUntil?.ToString("O", CultureInfo.InvariantCulture) ?? "-"}, revoked {key.RevokedAt?.ToString("O", CultureInfo.InvariantCulture) ?? "-"}";

        // (3) A key event is well formed, sits in its gateway's stream, and fits the key history before it.
        private void CheckKeyEvent(RecordedEvent recorded, string where, IFederationEvent keyEvent)
        {
            keyEvents++;
            var position = recorded.Position;
            var gatewayId = keyEvent switch
            {
                GatewayKeyEnrolled enrolled => enrolled.GatewayId,
                GatewayKeyRotated rotated => rotated.GatewayId,
                GatewayKeyRevoked revoked => revoked.GatewayId,
                GatewayPoliciesAllowed allowed => allowed.GatewayId,
                _ => throw new ArgumentException("Not a key event.", nameof(keyEvent)),
            };
            if (recorded.StreamId != EventStreams.Gateway(gatewayId))
            {
                Fail(3, $"{where}, field streamId", $"is '{recorded.StreamId}', but a key event of gateway '{gatewayId}' belongs in stream '{EventStreams.Gateway(gatewayId)}'.");
            }

            var valid = true;
            switch (keyEvent)
            {
                case GatewayKeyEnrolled enrolled:
                    valid = CheckPublicKey(where, "publicKey", "keyId", enrolled.PublicKey, enrolled.KeyId) & CheckPolicies(where, enrolled.AllowedPolicies);
                    if (registry.Find(gatewayId) is not null)
                    {
                        Fail(3, $"{where}, field data.gatewayId", $"gateway '{gatewayId}' is already enrolled (position {keys.Values.FirstOrDefault(track => track.GatewayId == gatewayId)?.EnrolledPosition}); a further key comes by rotation.");
                        valid = false;
                    }

                    valid &= CheckUnused(where, "keyId", enrolled.KeyId);
                    if (!valid)
                    {
                        invalidGateways.TryAdd(gatewayId, position);
                        invalidKeys.TryAdd(enrolled.KeyId, position);
                    }

                    break;
                case GatewayKeyRotated rotated:
                    valid = CheckPublicKey(where, "newPublicKey", "newKeyId", rotated.NewPublicKey, rotated.NewKeyId) & CheckUnused(where, "newKeyId", rotated.NewKeyId);
                    if (rotated.OldKeyValidUntil < rotated.RotatedAt)
                    {
                        Fail(3, $"{where}, field data.oldKeyValidUntil", $"is {rotated.OldKeyValidUntil:O}, before the rotation itself ({rotated.RotatedAt:O}).");
                    }

                    if (!valid)
                    {
                        invalidKeys.TryAdd(rotated.NewKeyId, position);
                    }

                    break;
                case GatewayPoliciesAllowed allowed:
                    valid = CheckPolicies(where, allowed.AllowedPolicies);
                    break;
            }

            // A gateway whose enrolment was invalid is already reported; its later key events cannot apply.
            if (!valid || (invalidGateways.ContainsKey(gatewayId) && registry.Find(gatewayId) is null))
            {
                return;
            }

            try
            {
                registry = registry.Apply(keyEvent);
            }
            catch (InvalidDataException error)
            {
                Fail(3, where, $"does not fit the key events before it: {error.Message}");
                return;
            }

            switch (keyEvent)
            {
                case GatewayKeyEnrolled enrolled:
                    keys[enrolled.KeyId] = new KeyTrack(gatewayId, enrolled.KeyId, position);
                    break;
                case GatewayKeyRotated rotated:
                    keys[rotated.NewKeyId] = new KeyTrack(gatewayId, rotated.NewKeyId, position);
                    if (keys.TryGetValue(rotated.OldKeyId, out var old))
                    {
                        old.RotatedPosition = position;
                    }

                    break;
                case GatewayKeyRevoked revoked when keys.TryGetValue(revoked.KeyId, out var track):
                    (track.RevokedPosition, track.RevokedAt, track.RevokedReason) = (position, revoked.RevokedAt, revoked.Reason);
                    break;
            }
        }

        private bool CheckPublicKey(string where, string keyField, string idField, string publicKeyText, string keyId)
        {
            var publicKey = new byte[Ed25519.PublicKeyLength + 3];
            if (!Convert.TryFromBase64String(publicKeyText, publicKey, out var length) || length != Ed25519.PublicKeyLength)
            {
                Fail(3, $"{where}, field data.{keyField}", "is not base64 of a 32-byte Ed25519 public key.");
                return false;
            }

            var actual = KeyId.Of(publicKey.AsSpan(0, length).ToArray());
            if (actual != keyId)
            {
                Fail(3, $"{where}, field data.{keyField}", $"hashes to key id {actual}, but the event's {idField} is {keyId}: the key or its id was changed.");
                return false;
            }

            return true;
        }

        private bool CheckUnused(string where, string idField, string keyId)
        {
            if (keys.TryGetValue(keyId, out var earlier))
            {
                Fail(3, $"{where}, field data.{idField}", $"key {keyId} was already enrolled at position {earlier.EnrolledPosition} (gateway '{earlier.GatewayId}'); a key is enrolled once, for one gateway.");
                return false;
            }

            return true;
        }

        private bool CheckPolicies(string where, IReadOnlyList<string> policies)
        {
            if (policies.Count == 0 || !policies.All(PolicyHash.IsWellFormed))
            {
                Fail(3, $"{where}, field data.allowedPolicies", "must list at least one policy file SHA-256 (64 lowercase hex digits).");
                return false;
            }

            return true;
        }

        // (2) The events, one per line, numbered 1..N, whose leaves make the checkpoint's root; (4) and (5) per event.
        private void CheckEvents()
        {
            var path = BundlePath(AuditBundle.EventsFile);
            if (!File.Exists(path))
            {
                Fail(2, AuditBundle.EventsFile, "is missing.");
                return;
            }

            var total = checkpoint?.Size ?? unverifiedSize ?? 0;
            progress(EventsPhase, 0, total);
            foreach (var line in File.ReadLines(path, Encoding.UTF8))
            {
                eventsChecked++;
                CheckLine(line, eventsChecked);
                if (eventsChecked % ProgressEvery == 0)
                {
                    progress(EventsPhase, eventsChecked, Math.Max(total, eventsChecked));
                }
            }

            progress(EventsPhase, eventsChecked, Math.Max(total, eventsChecked));
            CheckRoot();
        }

        private void CheckLine(string line, long number)
        {
            var where = $"{AuditBundle.EventsFile} line {number}";
            RecordedEvent recorded;
            try
            {
                recorded = AuditBundle.ParseEvent(line);
            }
            catch (JsonException error)
            {
                Fail(2, where, $"is not a stored event: {error.Message}");
                // Keeps every later leaf at its index; the root cannot match.
                tree.Append(Encoding.UTF8.GetBytes(line));
                return;
            }

            if (recorded.Position != number)
            {
                Fail(2, $"{where}, field position", $"is {recorded.Position}; line {number} must hold position {number} (positions run 1, 2, 3, … without gaps).");
            }

            where = $"{where} (position {recorded.Position})";
            var data = Encoding.UTF8.GetBytes(recorded.Data);
            try
            {
                var leaf = EventLeaf.Bytes(recorded);
                tree.Append(leaf);
                // The leaf is canonical JSON whose first member is "data" (it sorts first), so when the
                // stored text reappears right there it is already canonical; only otherwise canonicalize it again.
                var inLeaf = leaf.Length > DataPrefix.Length + data.Length
                    && leaf.AsSpan(0, DataPrefix.Length).SequenceEqual(DataPrefix)
                    && leaf.AsSpan(DataPrefix.Length, data.Length).SequenceEqual(data)
                    && leaf[DataPrefix.Length + data.Length] == (byte)',';
                if (!inLeaf && !JsonCanonicalizer.Canonicalize(data).AsSpan().SequenceEqual(data))
                {
                    Fail(2, $"{where}, field data", "is not in RFC 8785 canonical form, the only form the aggregator stores.");
                }
            }
            catch (JsonException error)
            {
                Fail(2, $"{where}, field data", $"is not canonicalizable JSON: {error.Message}");
                tree.Append(Encoding.UTF8.GetBytes(line));
                return;
            }

            IFederationEvent federationEvent;
            try
            {
                federationEvent = EventHistory.Deserialize(recorded);
            }
            catch (InvalidDataException error)
            {
                Fail(2, $"{where}, field type", error.Message);
                return;
            }
            catch (JsonException error)
            {
                Fail(2, $"{where}, field data", $"is not a valid {recorded.Type} event: {error.Message}");
                return;
            }

            switch (federationEvent)
            {
                case RoundOpened opened:
                    CheckRoundOpened(recorded.Position, where, opened);
                    break;
                case ContributionAccepted accepted:
                    CheckAccepted(recorded.Position, where, accepted);
                    break;
                case RoundClosed closed:
                    CheckRoundClosed(recorded.Position, where, closed);
                    break;
                case ModelVersionPublished published:
                    CheckPublished(recorded.Position, where, published);
                    break;
                case EvaluationRecorded evaluation:
                    CheckEvaluation(recorded.Position, where, evaluation);
                    break;
                case GatewayKeyEnrolled or GatewayKeyRotated or GatewayKeyRevoked or GatewayPoliciesAllowed:
                    CheckKeyEvent(recorded, where, federationEvent);
                    break;
            }
        }

        private void CheckRoot()
        {
            var size = checkpoint?.Size ?? unverifiedSize;
            if (size is not { } expected)
            {
                return;
            }

            if (eventsChecked < expected)
            {
                Fail(2, AuditBundle.EventsFile, $"holds {eventsChecked} events, but the checkpoint commits to {expected}: events {eventsChecked + 1}–{expected} are missing.");
                return;
            }

            if (eventsChecked > expected)
            {
                warnings.Add($"{AuditBundle.EventsFile} holds {eventsChecked - expected} events after position {expected}; the checkpoint does not cover them, so only their signatures and references were checked.");
            }

            if (checkpoint is null)
            {
                warnings.Add($"The events were not compared with the checkpoint's root: {AuditBundle.CheckpointFile} is not authentic, so nothing proves which history the log signed.");
                return;
            }

            var root = tree.RootHash(expected);
            rootMatches = root.AsSpan().SequenceEqual(checkpoint.RootHash);
            if (rootMatches)
            {
                return;
            }

            Fail(2, $"{AuditBundle.EventsFile} lines 1–{expected} and {AuditBundle.CheckpointFile} line 3",
                $"the RFC 6962 root of these events is {Convert.ToBase64String(root)}, but the signed checkpoint commits to {Convert.ToBase64String(checkpoint.RootHash)}: " +
                "the events are not the history the log signed.");
            LocateChangedEvents(expected, checkpoint.RootHash);
        }

        // The exporter's leaf hashes are not trusted; but if they reproduce the signed root, they are the
        // log's leaves (SHA-256 is collision resistant), and comparing them names the changed events.
        private void LocateChangedEvents(long size, byte[] signedRoot)
        {
            var path = BundlePath(AuditBundle.LeafHashesFile);
            if (!File.Exists(path))
            {
                warnings.Add($"The bundle has no {AuditBundle.LeafHashesFile}, so the changed events cannot be pinpointed.");
                return;
            }

            var listed = new MerkleTree();
            foreach (var line in File.ReadLines(path).Take(checked((int)size)))
            {
                if (line.Length != 2 * MerkleHash.Size || !AuditBundle.IsSha256(line))
                {
                    break;
                }

                listed.AppendLeafHash(Convert.FromHexString(line));
            }

            if (listed.Size != size || !listed.RootHash(size).AsSpan().SequenceEqual(signedRoot))
            {
                warnings.Add($"{AuditBundle.LeafHashesFile} does not reproduce the signed root either, so the changed events cannot be pinpointed.");
                return;
            }

            for (long index = 0; index < size; index++)
            {
                var ours = tree.LeafHash(index);
                var logs = listed.LeafHash(index);
                if (!ours.AsSpan().SequenceEqual(logs))
                {
                    Fail(2, $"{AuditBundle.EventsFile} line {index + 1}",
                        $"is not event {index + 1} as the log signed it: its leaf hash is {Convert.ToHexStringLower(ours)}, the log's is {Convert.ToHexStringLower(logs)} " +
                        $"({AuditBundle.LeafHashesFile} reproduces the signed root, so this is the line that changed).");
                }
            }
        }

        private void CheckRoundOpened(long position, string where, RoundOpened opened)
        {
            if (rounds.TryGetValue(opened.Round, out var earlier))
            {
                Fail(5, $"{where}, field data.round", $"round {opened.Round} was already opened at position {earlier.Position}.");
                return;
            }

            if (!versions.TryGetValue(opened.BaseModelVersion, out var baseVersion))
            {
                Fail(5, $"{where}, field data.baseModelVersion", $"model version {opened.BaseModelVersion} was not published before this round opened.");
            }
            else if (baseVersion.Published.ModelSha256 != opened.BaseModelSha256)
            {
                Fail(5, $"{where}, field data.baseModelSha256",
                    $"is {opened.BaseModelSha256}, but version {opened.BaseModelVersion} was published as {baseVersion.Published.ModelSha256} (position {baseVersion.Position}).");
            }

            rounds[opened.Round] = new RoundTrack(position, opened);
        }

        private void CheckRoundClosed(long position, string where, RoundClosed closed)
        {
            if (!rounds.TryGetValue(closed.Round, out var round))
            {
                Fail(5, $"{where}, field data.round", $"round {closed.Round} was never opened.");
                return;
            }

            if (round.Closed is not null)
            {
                Fail(5, $"{where}, field data.round", $"round {closed.Round} was already closed at position {round.ClosedPosition}.");
                return;
            }

            if (closed.AcceptedCount != round.Accepted.Count)
            {
                Fail(5, $"{where}, field data.acceptedCount", $"is {closed.AcceptedCount}, but round {closed.Round} has {round.Accepted.Count} contribution-accepted events before it.");
            }

            round.Closed = closed;
            round.ClosedPosition = position;
        }

        // (4) A contribution is signed by its gateway's enrolled key, and the event says what the manifest signs.
        private void CheckAccepted(long position, string where, ContributionAccepted accepted)
        {
            contributionsChecked++;
            var manifest = SignedDocument.Parse<ContributionManifest>(
                accepted.Manifest, DocumentTypes.ContributionManifest, document => document.Type, out var rejection);
            var authentic = false;
            if (manifest is null)
            {
                Fail(4, $"{where}, field data.manifest", rejection!.Detail);
            }
            else
            {
                authentic = Authenticate(position, where, "data.manifest", manifest.GatewayId, manifest.KeyId, accepted.Manifest, accepted.Signature, accepted.ReceivedAt, "received");
                var says = authentic ? "the signed manifest says" : "the manifest says";
                Same(where, "round", accepted.Round, manifest.Round, says);
                Same(where, "gatewayId", accepted.GatewayId, manifest.GatewayId, says);
                Same(where, "keyId", accepted.KeyId, manifest.KeyId, says);
                Same(where, "payloadSha256", accepted.PayloadSha256, manifest.PayloadSha256, says);
                Same(where, "payloadBytes", accepted.PayloadBytes, manifest.PayloadBytes, says);
                Same(where, "sampleCount", accepted.SampleCount, manifest.SampleCount, says);
                Same(where, "sequence", accepted.Sequence, manifest.Sequence, says);
                Same(where, "policySha256", accepted.PolicySha256, manifest.PolicySha256, says);
                CheckPolicyAndSequence(where, manifest);
            }

            // What later checks rely on: the signed values when the signature holds, the event's otherwise.
            var contribution = authentic
                ? new AcceptedContribution(position, manifest!.GatewayId, manifest.KeyId, manifest.PayloadSha256, manifest.PayloadBytes, manifest.SampleCount)
                : new AcceptedContribution(position, accepted.GatewayId, accepted.KeyId, accepted.PayloadSha256, accepted.PayloadBytes, accepted.SampleCount);
            var roundNumber = authentic ? manifest!.Round : accepted.Round;
            if (!rounds.TryGetValue(roundNumber, out var round))
            {
                Fail(4, $"{where}, field data.round", $"round {roundNumber} was not opened before this contribution was accepted.");
            }
            else if (round.Closed is not null)
            {
                Fail(4, where, $"round {round.Opened.Round} had already closed (position {round.ClosedPosition}) when this contribution was accepted.");
            }
            else
            {
                if (manifest is not null && manifest.BaseModelSha256 != round.Opened.BaseModelSha256)
                {
                    Fail(4, $"{where}, field data.manifest",
                        $"signs baseModelSha256 {manifest.BaseModelSha256}, but round {round.Opened.Round} starts from {round.Opened.BaseModelSha256}.");
                }

                round.Accepted.Add(contribution);
            }

            Reference(contribution.PayloadSha256, contribution.PayloadBytes, $"{where}, field data.payloadSha256");
        }

        // The policy must be allowed for the gateway by the key events so far; sequences only grow (no replay).
        private void CheckPolicyAndSequence(string where, ContributionManifest manifest)
        {
            if (registry.Find(manifest.GatewayId) is { } gateway && !gateway.AllowedPolicies.Contains(manifest.PolicySha256))
            {
                Fail(4, $"{where}, field data.policySha256",
                    $"is {manifest.PolicySha256}, which the key events before this position do not allow for gateway '{manifest.GatewayId}' (allowed: {string.Join(", ", gateway.AllowedPolicies)}).");
            }

            if (highestSequences.TryGetValue(manifest.GatewayId, out var highest) && manifest.Sequence <= highest)
            {
                Fail(4, $"{where}, field data.sequence", $"is {manifest.Sequence}, not above {highest}, the highest sequence of gateway '{manifest.GatewayId}' accepted before: a replay.");
            }

            highestSequences[manifest.GatewayId] = Math.Max(highest, manifest.Sequence);
        }

        private void CheckEvaluation(long position, string where, EvaluationRecorded evaluation)
        {
            var report = SignedDocument.Parse<EvaluationReport>(evaluation.Report, DocumentTypes.EvaluationReport, document => document.Type, out var rejection);
            if (report is null)
            {
                Fail(4, $"{where}, field data.report", rejection!.Detail);
                return;
            }

            var says = Authenticate(position, where, "data.report", report.GatewayId, report.KeyId, evaluation.Report, evaluation.Signature, evaluation.RecordedAt, "recorded")
                ? "the signed report says"
                : "the report says";
            Same(where, "gatewayId", evaluation.GatewayId, report.GatewayId, says);
            Same(where, "keyId", evaluation.KeyId, report.KeyId, says);
            Same(where, "modelVersion", evaluation.ModelVersion, report.ModelVersion, says);
            if (!evaluation.Metrics.SequenceEqual(report.Metrics))
            {
                Fail(4, $"{where}, field data.metrics", $"differ from the metrics in data.report ({says}: {string.Join(", ", report.Metrics.Select(metric => $"{metric.Name}={Show(metric.Value)}"))}).");
            }

            if (versions.TryGetValue(report.ModelVersion, out var version) && version.Published.ModelSha256 != report.ModelSha256)
            {
                Fail(4, $"{where}, field data.report", $"evaluates model {report.ModelSha256}, but version {report.ModelVersion} is {version.Published.ModelSha256}.");
            }
        }

        // The key must be valid at the time of receipt according to the key events before this position:
        // enrolled, not rotated away past its overlap, not revoked. A revocation recorded earlier in the log
        // ends the key's signatures for every later event, whatever receipt time that event claims.
        private bool Authenticate(long position, string where, string documentField, string gatewayId, string keyId, string document, string signature, DateTimeOffset at, string received)
        {
            var field = $"{where}, field {documentField}";
            if (invalidKeys.TryGetValue(keyId, out var badKeyEvent) || (!keys.ContainsKey(keyId) && invalidGateways.TryGetValue(gatewayId, out badKeyEvent)))
            {
                Fail(4, field, $"is signed by key {keyId} of gateway '{gatewayId}', whose key event at position {badKeyEvent} is invalid, so the signature cannot be checked.");
                return false;
            }

            keys.TryGetValue(keyId, out var track);
            if (track?.RevokedPosition is { } revokedPosition)
            {
                Fail(4, $"{where}, field data.keyId",
                    $"revoked-key: key {keyId} of gateway '{gatewayId}' was revoked at position {revokedPosition}, before this event at position {position}; " +
                    $"nothing signed with it may be accepted after its revocation (the event claims it was {received} at {at:O}, the revocation says {track.RevokedAt:O}).");
                return false;
            }

            var key = registry.FindValidKey(gatewayId, keyId, at, out var rejection);
            if (key is null)
            {
                var reason = JsonNamingPolicy.KebabCaseLower.ConvertName(rejection!.Reason.ToString());
                var history = track is null
                    ? $"no key event before position {position} enrols key {keyId} for gateway '{gatewayId}'"
                    : $"key events before position {position}: {track.Describe()}";
                Fail(4, $"{where}, field data.keyId", $"{reason}: the {documentField[5..]} {received} at {at:O} is signed by a key that was not valid then. {rejection.Detail} ({history}).");
                return false;
            }

            var signatureBytes = new byte[Ed25519.SignatureLength + 3];
            if (!Convert.TryFromBase64String(signature, signatureBytes, out var length) || length != Ed25519.SignatureLength)
            {
                Fail(4, $"{where}, field data.signature", "is not base64 of a 64-byte Ed25519 signature.");
                return false;
            }

            signaturesChecked++;
            if (!Ed25519.Verify(key.PublicKey, Encoding.UTF8.GetBytes(document), signatureBytes.AsSpan(0, length)))
            {
                Fail(4, $"{where}, field data.signature", $"does not verify: it is not an Ed25519 signature of {documentField} by key {keyId} of gateway '{gatewayId}' (enrolled at position {track?.EnrolledPosition}).");
                return false;
            }

            signaturesVerified++;
            track?.SignedPositions.Add(position);
            return true;
        }

        private void Same<T>(string where, string field, T inEvent, T signed, string says)
        {
            if (!EqualityComparer<T>.Default.Equals(inEvent, signed))
            {
                Fail(4, $"{where}, field data.{field}", $"is {Show(inEvent)}, but {says} {Show(signed)}.");
            }
        }

        // (5) A version lists exactly its round's accepted contributions, in history order, on the previous version.
        private void CheckPublished(long position, string where, ModelVersionPublished published)
        {
            modelVersions++;
            if (published.Version != nextVersion)
            {
                Fail(5, $"{where}, field data.version", $"is {published.Version}; versions are consecutive from 0, so {nextVersion} was expected.");
            }

            nextVersion = published.Version + 1;

            if (published.Version == 0)
            {
                if (published.Contributions.Count > 0 || published.Round is not null)
                {
                    Fail(5, where, "version 0 is the initial model; it names no round and lists no contributions.");
                }
            }
            else if (Trace(where, published))
            {
                modelVersionsTraced++;
            }

            versions.TryAdd(published.Version, new VersionTrack(position, published));
            Reference(published.ModelSha256, published.ModelBytes, $"{where}, field data.modelSha256");
            if (published.StrategyStateSha256 is { } state)
            {
                Reference(state, null, $"{where}, field data.strategyStateSha256");
            }
        }

        private bool Trace(string where, ModelVersionPublished published)
        {
            var before = findings[5].Count;
            if (published.Round is not { } roundNumber || !rounds.TryGetValue(roundNumber, out var round))
            {
                Fail(5, $"{where}, field data.round", $"names round {Show(published.Round)}, which was not opened before this version.");
                return false;
            }

            if (published.BaseModelVersion != published.Version - 1)
            {
                Fail(5, $"{where}, field data.baseModelVersion", $"is {Show(published.BaseModelVersion)}; version {published.Version} must build on version {published.Version - 1}.");
            }

            if (round.Opened.BaseModelVersion != published.BaseModelVersion)
            {
                Fail(5, $"{where}, field data.baseModelVersion", $"is {Show(published.BaseModelVersion)}, but round {roundNumber} was opened on version {round.Opened.BaseModelVersion} (position {round.Position}).");
            }

            if (round.Opened.Strategy != published.Strategy)
            {
                Fail(5, $"{where}, field data.strategy", $"is {published.Strategy}, but round {roundNumber} was opened with {round.Opened.Strategy} (position {round.Position}).");
            }

            if (!SameParameters(round.Opened.StrategyParameters, published.StrategyParameters))
            {
                Fail(5, $"{where}, field data.strategyParameters", $"are {ShowParameters(published.StrategyParameters)}, but round {roundNumber} was opened with {ShowParameters(round.Opened.StrategyParameters)}.");
            }

            if (round.Closed is not { Outcome: RoundOutcome.QuorumReached or RoundOutcome.DeadlinePassed })
            {
                Fail(5, $"{where}, field data.round",
                    $"round {roundNumber} {(round.Closed is { } closed ? $"closed {Show(closed.Outcome)}" : "had not closed")}; only a round closed by quorum-reached or deadline-passed produces a version.");
            }

            if (round.PublishedVersion is { } earlier)
            {
                Fail(5, $"{where}, field data.round", $"round {roundNumber} already produced version {earlier}.");
            }

            round.PublishedVersion ??= published.Version;
            var listed = published.Contributions;
            var matched = new HashSet<AcceptedContribution>();
            // The strategy combines a round's accepted contributions in ascending gateway id (ordinal), not in arrival order.
            var order = round.Accepted.OrderBy(accepted => accepted.GatewayId, StringComparer.Ordinal).ToList();
            for (var index = 0; index < listed.Count; index++)
            {
                var used = listed[index];
                var field = $"{where}, field data.contributions[{index}]";
                var accepted = index < order.Count && order[index].GatewayId == used.GatewayId
                    ? order[index]
                    : order.FirstOrDefault(candidate => candidate.GatewayId == used.GatewayId);
                if (accepted is null)
                {
                    Fail(5, $"{field}.gatewayId", $"is '{used.GatewayId}', which has no accepted contribution in round {roundNumber}.");
                    continue;
                }

                matched.Add(accepted);
                var expectedAt = order.IndexOf(accepted);
                if (expectedAt != index)
                {
                    Fail(5, field, $"lists gateway '{used.GatewayId}' as contribution {index + 1}, but in ascending gateway id order it is contribution {expectedAt + 1} of round {roundNumber}'s accepted ones; the aggregation order is fixed by the gateway ids.");
                }

                var source = $"the accepted contribution of '{used.GatewayId}' at position {accepted.Position} has";
                if (used.KeyId != accepted.KeyId)
                {
                    Fail(5, $"{field}.keyId", $"is {used.KeyId}, but {source} {accepted.KeyId}.");
                }

                if (used.PayloadSha256 != accepted.PayloadSha256)
                {
                    Fail(5, $"{field}.payloadSha256", $"is {used.PayloadSha256}, but {source} {accepted.PayloadSha256}.");
                }

                if (used.SampleCount != accepted.SampleCount)
                {
                    Fail(5, $"{field}.sampleCount", $"is {used.SampleCount}, but {source} {accepted.SampleCount}.");
                }
            }

            foreach (var omitted in round.Accepted.Where(accepted => !matched.Contains(accepted)))
            {
                Fail(5, $"{where}, field data.contributions", $"omit the accepted contribution of gateway '{omitted.GatewayId}' at position {omitted.Position}.");
            }

            return findings[5].Count == before;
        }

        // (6) Every payload file hashes to its name; every payload the events name is present.
        private void CheckPayloads()
        {
            var folder = BundlePath(AuditBundle.PayloadsFolder);
            if (!Directory.Exists(folder))
            {
                return;
            }

            var files = Directory.GetFiles(folder).Order(StringComparer.Ordinal).ToList();
            var names = files.Select(Path.GetFileName).ToHashSet(StringComparer.Ordinal);
            var present = new Dictionary<string, long>(StringComparer.Ordinal);
            var totalBytes = files.Sum(file => new FileInfo(file).Length);
            long doneBytes = 0;
            progress(PayloadsPhase, 0, totalBytes);
            payloadsChecked = 0;
            foreach (var file in files)
            {
                var name = Path.GetFileName(file);
                var where = $"{AuditBundle.PayloadsFolder}/{name}";
                long length;
                string actual;
                using (var stream = File.OpenRead(file))
                {
                    length = stream.Length;
                    actual = Convert.ToHexStringLower(SHA256.HashData(stream));
                }

                doneBytes += length;
                progress(PayloadsPhase, doneBytes, totalBytes);
                if (!AuditBundle.IsSha256(name))
                {
                    Fail(6, where, "is not named by a SHA-256 (64 lowercase hex digits).");
                }
                else if (actual != name)
                {
                    Fail(6, where, $"hashes to {actual}, not to its name: its bytes were changed.");
                }
                else
                {
                    present[name] = length;
                    payloadsChecked++;
                }
            }

            foreach (var (sha256, reference) in referenced)
            {
                var where = $"{AuditBundle.PayloadsFolder}/{sha256}";
                if (!present.TryGetValue(sha256, out var length))
                {
                    if (!names.Contains(sha256))
                    {
                        Fail(6, where, $"is missing, but {reference.Where} names it.");
                    }
                }
                else if (reference.Bytes is { } bytes && bytes != length)
                {
                    Fail(6, where, $"is {length} bytes, but {reference.Where} says {bytes} bytes.");
                }
            }
        }

        private void Reference(string sha256, long? bytes, string where)
        {
            if (!AuditBundle.IsSha256(sha256))
            {
                Fail(6, where, $"'{sha256}' is not a SHA-256 digest (64 lowercase hex digits).");
                return;
            }

            referenced.TryAdd(sha256, new PayloadReference(bytes, where));
        }

        private static bool SameParameters(IReadOnlyDictionary<string, double> left, IReadOnlyDictionary<string, double> right) =>
            left.Count == right.Count && left.All(pair => right.TryGetValue(pair.Key, out var value) && value.Equals(pair.Value));

        private static string ShowParameters(IReadOnlyDictionary<string, double> parameters) =>
            "{" + string.Join(", ", parameters.OrderBy(pair => pair.Key, StringComparer.Ordinal).Select(pair => $"{pair.Key}={Show(pair.Value)}")) + "}";

        private static string Show(object? value) => value switch
        {
            null => "null",
            string text => $"'{text}'",
            RoundOutcome outcome => JsonNamingPolicy.KebabCaseLower.ConvertName(outcome.ToString()),
            IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "",
        };
    }

    // Where one key's life is recorded in the log, and which signed events it authenticated.
    private sealed class KeyTrack(string gatewayId, string keyId, long enrolledPosition)
    {
        public string GatewayId { get; } = gatewayId;

        public string KeyId { get; } = keyId;

        public long EnrolledPosition { get; } = enrolledPosition;

        public long? RotatedPosition { get; set; }

        public long? RevokedPosition { get; set; }

        public DateTimeOffset? RevokedAt { get; set; }

        public string? RevokedReason { get; set; }

        public List<long> SignedPositions { get; } = [];

        public string Describe() =>
            $"enrolled at position {EnrolledPosition}" +
            (RotatedPosition is { } rotated ? $", rotated away at position {rotated}" : "") +
            (RevokedPosition is { } revoked ? $", revoked at position {revoked} ({RevokedAt:O})" : "");
    }

    private sealed record AcceptedContribution(long Position, string GatewayId, string KeyId, string PayloadSha256, long PayloadBytes, long SampleCount);

    private sealed record VersionTrack(long Position, ModelVersionPublished Published);

    private sealed record PayloadReference(long? Bytes, string Where);

    private sealed class RoundTrack(long position, RoundOpened opened)
    {
        public long Position { get; } = position;

        public RoundOpened Opened { get; } = opened;

        public List<AcceptedContribution> Accepted { get; } = [];

        public RoundClosed? Closed { get; set; }

        public long ClosedPosition { get; set; }

        public int? PublishedVersion { get; set; }
    }
}
