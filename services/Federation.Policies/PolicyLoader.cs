using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Federation.Contracts.Tasks;

namespace Federation.Policies;

/// <summary>
/// Reads and validates policy files strictly: unknown or duplicate keys, missing fields, wrong types, bad shapes and
/// out-of-range numbers are all errors, reported as a <see cref="PolicyException"/> that names the file, line, column
/// and field. Nothing is defaulted silently: a policy that does not say something allows nothing by it.
/// </summary>
/// <remarks>The format is described, with comments, in <c>policies/example.yaml</c> and <c>policies/policy.schema.json</c>.</remarks>
public static partial class PolicyLoader
{
    /// <summary>The largest policy file accepted, in bytes; real policies are a few kilobytes.</summary>
    public const int MaxFileBytes = 1024 * 1024;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Reads, hashes and validates the policy file at <paramref name="path"/>.</summary>
    /// <param name="path">The file path; it appears in every error message.</param>
    /// <returns>The policy and the SHA-256 of the exact bytes it was parsed from.</returns>
    /// <exception cref="PolicyException">The file is missing, unreadable, too large, not UTF-8, not YAML, or invalid.</exception>
    public static LoadedPolicy Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                throw new PolicyException(path, null, null, null, $"policy file not found (looked for {info.FullName})");
            }

            if (info.Length > MaxFileBytes)
            {
                throw new PolicyException(path, null, null, null, $"is {info.Length} bytes; a policy file may be at most {MaxFileBytes}");
            }

            bytes = File.ReadAllBytes(path);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new PolicyException(path, null, null, null, $"cannot be read: {error.Message}", error);
        }

        return FromBytes(bytes, path);
    }

    /// <summary>Hashes and validates a policy file already in memory.</summary>
    /// <param name="fileBytes">The file's bytes, UTF-8 (a byte order mark is allowed and hashed like the rest).</param>
    /// <param name="sourceName">The name to use in error messages, normally the path.</param>
    /// <returns>The policy and the SHA-256 of <paramref name="fileBytes"/>.</returns>
    /// <exception cref="PolicyException">The bytes are too many, not UTF-8, not YAML, or not a valid policy.</exception>
    public static LoadedPolicy FromBytes(ReadOnlySpan<byte> fileBytes, string sourceName)
    {
        ArgumentException.ThrowIfNullOrEmpty(sourceName);
        if (fileBytes.Length > MaxFileBytes)
        {
            throw new PolicyException(sourceName, null, null, null, $"is {fileBytes.Length} bytes; a policy file may be at most {MaxFileBytes}");
        }

        string hash = PolicyHash.Compute(fileBytes);
        var text = fileBytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? fileBytes[3..] : fileBytes;
        string yaml;
        try
        {
            yaml = StrictUtf8.GetString(text);
        }
        catch (DecoderFallbackException error)
        {
            throw new PolicyException(sourceName, null, null, null, "is not valid UTF-8", error);
        }

        return new LoadedPolicy(Parse(yaml, sourceName), hash, sourceName);
    }

    /// <summary>Validates policy YAML given as text.</summary>
    /// <param name="yaml">The YAML document.</param>
    /// <param name="sourceName">The name to use in error messages, e.g. the file path.</param>
    /// <returns>The policy.</returns>
    /// <exception cref="PolicyException">The text is not YAML or not a valid policy.</exception>
    public static Policy Parse(string yaml, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        ArgumentException.ThrowIfNullOrEmpty(sourceName);
        var root = PolicyYaml.Read(yaml, sourceName);
        return new Validator(sourceName).Policy(root);
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$", RegexOptions.CultureInvariant)]
    private static partial Regex IdPattern();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$", RegexOptions.CultureInvariant)]
    private static partial Regex MetricNamePattern();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,7})?([Zz]|[+-]\d{2}:\d{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex DateTimeWithOffset();

    private sealed class Validator(string source)
    {
        public Policy Policy(PolicyNode node)
        {
            var root = node as PolicyMapping
                ?? throw Error(node, "", $"is not a policy: the document must be a mapping of fields such as id and allow, got {node.Describe()}");
            var fields = Fields(root, "", PolicyFields.Root);
            foreach (string required in PolicyFields.RootRequired)
            {
                Require(fields, root, "", required);
            }

            string id = Id(fields[PolicyFields.Id], PolicyFields.Id);
            string? name = fields.TryGetValue(PolicyFields.Name, out var nameNode) ? Text(nameNode, PolicyFields.Name) : null;
            int version = Version(fields[PolicyFields.Version], PolicyFields.Version);
            var expires = DateTime(fields[PolicyFields.Expires], PolicyFields.Expires);
            var keys = KeyIds(fields[PolicyFields.AggregatorKeys], PolicyFields.AggregatorKeys);
            var defaultRules = Rules(fields, root, "");
            var tasks = fields.TryGetValue(PolicyFields.Tasks, out var tasksNode)
                ? Tasks(tasksNode, PolicyFields.Tasks)
                : ImmutableSortedDictionary.Create<string, TaskRules>(StringComparer.Ordinal);
            return new Policy(id, name, version, expires, keys, defaultRules, tasks);
        }

        /// <summary>The rules of one task, from the top level (path "") or from an entry under <c>tasks</c>.</summary>
        private TaskRules Rules(Dictionary<string, PolicyNode> fields, PolicyMapping map, string path)
        {
            var kinds = Kinds(fields[PolicyFields.Allow], Child(path, PolicyFields.Allow));
            if (kinds.Contains(ReleaseKind.ModelUpdate))
            {
                foreach (string required in PolicyFields.RequiredForModelUpdate)
                {
                    Require(fields, map, path, required, $"is required when {Child(path, PolicyFields.Allow)} lists {ReleaseKinds.ModelUpdateName}");
                }
            }

            if (kinds.Contains(ReleaseKind.EvaluationMetrics))
            {
                foreach (string required in PolicyFields.RequiredForEvaluationMetrics)
                {
                    Require(fields, map, path, required, $"is required when {Child(path, PolicyFields.Allow)} lists {ReleaseKinds.EvaluationMetricsName}");
                }
            }

            long? minimumSamples = fields.TryGetValue(PolicyFields.MinimumSamples, out var samplesNode)
                ? PositiveInteger(samplesNode, Child(path, PolicyFields.MinimumSamples))
                : null;
            var tensors = fields.TryGetValue(PolicyFields.Tensors, out var tensorsNode) ? Tensors(tensorsNode, Child(path, PolicyFields.Tensors)) : [];
            var clipping = fields.TryGetValue(PolicyFields.Clipping, out var clippingNode) ? Clipping(clippingNode, Child(path, PolicyFields.Clipping)) : null;
            var privacy = fields.TryGetValue(PolicyFields.Privacy, out var privacyNode) ? Privacy(privacyNode, Child(path, PolicyFields.Privacy)) : null;
            var metrics = fields.TryGetValue(PolicyFields.Metrics, out var metricsNode) ? Metrics(metricsNode, Child(path, PolicyFields.Metrics)) : [];
            var trainers = fields.TryGetValue(PolicyFields.Trainers, out var trainersNode) ? Trainers(trainersNode, Child(path, PolicyFields.Trainers)) : (ImmutableArray<TrainerRule>?)null;
            return new TaskRules(kinds, minimumSamples, tensors, clipping, privacy, metrics) { Trainers = trainers };
        }

        /// <summary>The <c>tasks</c> section: task id → rules. Ids are safe task names, and not <c>default</c>.</summary>
        private ImmutableSortedDictionary<string, TaskRules> Tasks(PolicyNode node, string path)
        {
            var map = Mapping(node, path);
            if (map.Entries.Count == 0)
            {
                throw Error(map, path, "must name at least one task; leave it out to take part only in task default");
            }

            var tasks = ImmutableSortedDictionary.CreateBuilder<string, TaskRules>(StringComparer.Ordinal);
            foreach (var (key, value) in UserKeyed(map, path, "task"))
            {
                // tasks.weld-photos rather than tasks["weld-photos"]: a task id is a safe name, so the plain path is unambiguous.
                string taskPath = Child(path, key.Value);
                if (TaskIds.Problem(key.Value) is { } problem)
                {
                    throw Error(key, taskPath, problem);
                }

                if (key.Value == TaskIds.Default)
                {
                    throw Error(key, taskPath, $"is the top-level rules: task {TaskIds.Default} is what the fields outside {path} say; remove this entry or move its rules to the top level");
                }

                var entry = Mapping(value, taskPath);
                var fields = Fields(entry, taskPath, PolicyFields.TaskFields);
                foreach (string required in PolicyFields.TaskRequired)
                {
                    Require(fields, entry, taskPath, required);
                }

                tasks.Add(key.Value, Rules(fields, entry, taskPath));
            }

            return tasks.ToImmutable();
        }

        private ClippingRule Clipping(PolicyNode node, string path)
        {
            var map = Mapping(node, path);
            var fields = RequiredFields(map, path, PolicyFields.ClippingFields);
            return new ClippingRule(PositiveNumber(fields[PolicyFields.MaxUpdateL2Norm], Child(path, PolicyFields.MaxUpdateL2Norm)));
        }

        private PrivacyRule Privacy(PolicyNode node, string path)
        {
            var map = Mapping(node, path);
            var fields = RequiredFields(map, path, PolicyFields.PrivacyFields);
            double maxExampleNorm = PositiveNumber(fields[PolicyFields.MaxExampleL2Norm], Child(path, PolicyFields.MaxExampleL2Norm));
            double minNoiseMultiplier = PositiveNumber(fields[PolicyFields.MinNoiseMultiplier], Child(path, PolicyFields.MinNoiseMultiplier));

            string budgetPath = Child(path, PolicyFields.Budget);
            var budgetMap = Mapping(fields[PolicyFields.Budget], budgetPath);
            var budget = RequiredFields(budgetMap, budgetPath, PolicyFields.BudgetFields);
            double epsilon = PositiveNumber(budget[PolicyFields.Epsilon], Child(budgetPath, PolicyFields.Epsilon));
            double delta = Probability(budget[PolicyFields.Delta], Child(budgetPath, PolicyFields.Delta));
            var window = Window(budget[PolicyFields.Window], Child(budgetPath, PolicyFields.Window));
            return new PrivacyRule(maxExampleNorm, minNoiseMultiplier, new PrivacyBudget(epsilon, delta, window));
        }

        private ImmutableArray<TensorRule> Tensors(PolicyNode node, string path)
        {
            var map = Mapping(node, path);
            if (map.Entries.Count == 0)
            {
                throw Error(map, path, "must list at least one tensor");
            }

            var rules = new List<TensorRule>();
            foreach (var (key, value) in UserKeyed(map, path, "tensor"))
            {
                string tensorPath = Named(path, key.Value);
                var list = Sequence(value, tensorPath, "a shape such as [10, 784]");
                var shape = ImmutableArray.CreateBuilder<int>(list.Items.Count);
                long elements = 1;
                for (int i = 0; i < list.Items.Count; i++)
                {
                    string dimensionPath = $"{tensorPath}[{i}]";
                    long dimension = PositiveInteger(list.Items[i], dimensionPath);
                    if (dimension > int.MaxValue)
                    {
                        throw Error(list.Items[i], dimensionPath, $"must be at most {int.MaxValue}, got {dimension}");
                    }

                    elements = dimension > long.MaxValue / elements
                        ? throw Error(list, tensorPath, "has more elements than any tensor can hold")
                        : elements * dimension;
                    shape.Add((int)dimension);
                }

                rules.Add(new TensorRule(key.Value, shape.MoveToImmutable()));
            }

            return [.. rules.OrderBy(r => r.Name, StringComparer.Ordinal)];
        }

        private ImmutableArray<MetricRule> Metrics(PolicyNode node, string path)
        {
            var map = Mapping(node, path);
            if (map.Entries.Count == 0)
            {
                throw Error(map, path, "must list at least one metric");
            }

            var rules = new List<MetricRule>();
            foreach (var (key, value) in UserKeyed(map, path, "metric"))
            {
                string metricPath = Named(path, key.Value);
                if (!MetricNamePattern().IsMatch(key.Value))
                {
                    throw Error(key, metricPath, "is not a valid metric name (letters, digits, '.', '_', '/', '-'; starting with a letter or digit)");
                }

                var metric = Mapping(value, metricPath);
                var fields = RequiredFields(metric, metricPath, PolicyFields.MetricFields);
                long minimum = PositiveInteger(fields[PolicyFields.MinimumSamples], Child(metricPath, PolicyFields.MinimumSamples));
                rules.Add(new MetricRule(key.Value, minimum));
            }

            return [.. rules.OrderBy(r => r.Name, StringComparer.Ordinal)];
        }

        private ImmutableArray<TrainerRule> Trainers(PolicyNode node, string path)
        {
            var map = Mapping(node, path);
            var rules = new List<TrainerRule>();
            var seen = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (key, value) in UserKeyed(map, path, "trainer"))
            {
                string trainerPath = Named(path, key.Value);
                if (!IdPattern().IsMatch(key.Value))
                {
                    throw Error(key, trainerPath, "is not a valid trainer name (letters, digits, '.', '_', '-'; starting with a letter or digit)");
                }

                if (value is not PolicyScalar scalar || !PolicyHash.IsWellFormed(scalar.Value))
                {
                    throw Error(value, trainerPath, $"must be the trainer's SHA-256 as 64 lowercase hex digits (docs/FORMATS.md, trainer hash), got {value.Describe()}");
                }

                if (!seen.TryAdd(scalar.Value, key.Value))
                {
                    throw Error(value, trainerPath, $"repeats the hash of {Named(path, seen[scalar.Value])}");
                }

                rules.Add(new TrainerRule(key.Value, scalar.Value));
            }

            return [.. rules.OrderBy(rule => rule.Name, StringComparer.Ordinal)];
        }

        private ImmutableArray<ReleaseKind> Kinds(PolicyNode node, string path)
        {
            var list = Sequence(node, path, $"a list of {ReleaseKinds.ModelUpdateName} and/or {ReleaseKinds.EvaluationMetricsName}");
            var seen = new Dictionary<ReleaseKind, int>();
            for (int i = 0; i < list.Items.Count; i++)
            {
                string itemPath = $"{path}[{i}]";
                var item = list.Items[i];
                if (item is not PolicyScalar scalar || !ReleaseKinds.TryParse(scalar.Value, out var kind))
                {
                    throw Error(item, itemPath, $"must be {ReleaseKinds.ModelUpdateName} or {ReleaseKinds.EvaluationMetricsName}, got {item.Describe()}");
                }

                if (!seen.TryAdd(kind, i))
                {
                    throw Error(item, itemPath, $"repeats {path}[{seen[kind]}] ({scalar.Value})");
                }
            }

            return [.. seen.Keys.Order()];
        }

        private ImmutableArray<string> KeyIds(PolicyNode node, string path)
        {
            var list = Sequence(node, path, "a list of aggregator key ids");
            if (list.Items.Count == 0)
            {
                throw Error(list, path, "must list at least one aggregator key id");
            }

            var seen = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int i = 0; i < list.Items.Count; i++)
            {
                string itemPath = $"{path}[{i}]";
                var item = list.Items[i];
                if (item is not PolicyScalar scalar || !PolicyHash.IsWellFormed(scalar.Value))
                {
                    throw Error(item, itemPath, $"must be a key id: the SHA-256 of the Ed25519 public key as 64 lowercase hex digits, got {item.Describe()}");
                }

                if (!seen.TryAdd(scalar.Value, i))
                {
                    throw Error(item, itemPath, $"repeats {path}[{seen[scalar.Value]}]");
                }
            }

            return [.. seen.Keys];
        }

        private string Id(PolicyNode node, string path)
        {
            string value = Text(node, path);
            return IdPattern().IsMatch(value)
                ? value
                : throw Error(node, path, $"must be 1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit, got {node.Describe()}");
        }

        private int Version(PolicyNode node, string path)
        {
            long value = PositiveInteger(node, path);
            return value <= int.MaxValue ? (int)value : throw Error(node, path, $"must be at most {int.MaxValue}, got {value}");
        }

        private DateTimeOffset DateTime(PolicyNode node, string path)
        {
            const string Expected = "must be a date-time with a UTC offset, e.g. 2027-01-01T00:00:00Z";
            if (node is not PolicyScalar scalar || !DateTimeWithOffset().IsMatch(scalar.Value)
                || !DateTimeOffset.TryParse(scalar.Value, CultureInfo.InvariantCulture, DateTimeStyles.None, out var value))
            {
                throw Error(node, path, $"{Expected}, got {node.Describe()}");
            }

            return value;
        }

        private TimeSpan Window(PolicyNode node, string path)
        {
            const string Expected = "must be a duration such as 30d, 12h or 90m";
            if (node is not PolicyScalar scalar || !WindowText.TryParse(scalar.Value, out var window))
            {
                throw Error(node, path, $"{Expected}, got {node.Describe()}");
            }

            return window > TimeSpan.Zero && window <= WindowText.Longest
                ? window
                : throw Error(node, path, $"must be longer than zero and at most {WindowText.Format(WindowText.Longest)}, got {scalar.Value}");
        }

        private string Text(PolicyNode node, string path)
        {
            if (node is not PolicyScalar scalar || scalar.IsNull || scalar.Value.Length == 0)
            {
                throw Error(node, path, $"must be text, got {node.Describe()}");
            }

            return scalar.Value;
        }

        private double PositiveNumber(PolicyNode node, string path)
        {
            double value = Number(node, path, "must be a positive number");
            return value > 0 ? value : throw Error(node, path, $"must be a positive number, got {node.Describe()}");
        }

        private double Probability(PolicyNode node, string path)
        {
            const string Expected = "must be a number greater than 0 and less than 1";
            double value = Number(node, path, Expected);
            return value is > 0 and < 1 ? value : throw Error(node, path, $"{Expected}, got {node.Describe()}");
        }

        private double Number(PolicyNode node, string path, string expected)
        {
            // Only plain scalars are YAML numbers: "0.5" in quotes is text, and accepting it would make the file
            // mean different things to different tools.
            if (node is not PolicyScalar { IsPlain: true } scalar
                || !double.TryParse(scalar.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
                || !double.IsFinite(value))
            {
                throw Error(node, path, $"{expected}, got {node.Describe()}");
            }

            return value;
        }

        private long PositiveInteger(PolicyNode node, string path)
        {
            if (node is not PolicyScalar { IsPlain: true } scalar
                || !long.TryParse(scalar.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value)
                || value <= 0)
            {
                throw Error(node, path, $"must be a positive integer, got {node.Describe()}");
            }

            return value;
        }

        private PolicyMapping Mapping(PolicyNode node, string path) =>
            node as PolicyMapping ?? throw Error(node, path, $"must be a mapping, got {node.Describe()}");

        private PolicySequence Sequence(PolicyNode node, string path, string expected) =>
            node as PolicySequence ?? throw Error(node, path, $"must be {expected}, got {node.Describe()}");

        /// <summary>The entries of a mapping whose keys are field names: no duplicates, no unknown names.</summary>
        private Dictionary<string, PolicyNode> Fields(PolicyMapping map, string path, string[] known)
        {
            var fields = new Dictionary<string, PolicyNode>(StringComparer.Ordinal);
            var keys = new Dictionary<string, PolicyScalar>(StringComparer.Ordinal);
            foreach (var (key, value) in map.Entries)
            {
                string fieldPath = Child(path, key.Value);
                if (keys.TryGetValue(key.Value, out var first))
                {
                    throw Error(key, fieldPath, $"is given twice (first on line {first.Line})");
                }

                if (!known.Contains(key.Value, StringComparer.Ordinal))
                {
                    throw Error(key, fieldPath, $"is not a known field; {Suggest(key.Value, known)}");
                }

                keys.Add(key.Value, key);
                fields.Add(key.Value, value);
            }

            return fields;
        }

        private Dictionary<string, PolicyNode> RequiredFields(PolicyMapping map, string path, string[] names)
        {
            var fields = Fields(map, path, names);
            foreach (string name in names)
            {
                Require(fields, map, path, name);
            }

            return fields;
        }

        /// <summary>The entries of a mapping whose keys are names the factory chooses (tensors, metrics): no duplicates.</summary>
        private List<KeyValuePair<PolicyScalar, PolicyNode>> UserKeyed(PolicyMapping map, string path, string what)
        {
            var seen = new Dictionary<string, PolicyScalar>(StringComparer.Ordinal);
            foreach (var (key, _) in map.Entries)
            {
                string keyPath = Named(path, key.Value);
                if (key.IsNull || key.Value.Length == 0)
                {
                    throw Error(key, path, $"has a {what} without a name");
                }

                if (!seen.TryAdd(key.Value, key))
                {
                    throw Error(key, keyPath, $"lists {what} '{key.Value}' twice (first on line {seen[key.Value].Line})");
                }
            }

            return [.. map.Entries];
        }

        private void Require(Dictionary<string, PolicyNode> fields, PolicyMapping map, string path, string name, string problem = "is required")
        {
            if (!fields.ContainsKey(name))
            {
                throw Error(map, Child(path, name), problem);
            }
        }

        private PolicyException Error(PolicyNode node, string path, string problem) =>
            new(source, node.Line, node.Column, path, problem);

        private static string Child(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";

        private static string Named(string path, string name) => $"{path}[\"{name}\"]";

        private static string Suggest(string unknown, string[] known)
        {
            string? close = known
                .Select(name => (Name: name, Distance: EditDistance(unknown.ToLowerInvariant(), name.ToLowerInvariant())))
                .Where(candidate => candidate.Distance <= Math.Max(2, unknown.Length / 3))
                .OrderBy(candidate => candidate.Distance)
                .Select(candidate => candidate.Name)
                .FirstOrDefault();
            return close is not null
                ? $"did you mean '{close}'?"
                : $"expected one of {string.Join(", ", known)}";
        }

        private static int EditDistance(string a, string b)
        {
            var previous = new int[b.Length + 1];
            var current = new int[b.Length + 1];
            for (int j = 0; j <= b.Length; j++)
            {
                previous[j] = j;
            }

            for (int i = 1; i <= a.Length; i++)
            {
                current[0] = i;
                for (int j = 1; j <= b.Length; j++)
                {
                    int substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                    current[j] = Math.Min(substitution, Math.Min(previous[j], current[j - 1]) + 1);
                }

                (previous, current) = (current, previous);
            }

            return previous[b.Length];
        }
    }
}
