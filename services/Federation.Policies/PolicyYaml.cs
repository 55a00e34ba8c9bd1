using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Federation.Policies;

/// <summary>A YAML node with the position where it starts; the loader validates these by hand.</summary>
internal abstract class PolicyNode(Mark start)
{
    public long Line { get; } = start.Line;

    public long Column { get; } = start.Column;

    /// <summary>How the node reads in an error message: a scalar verbatim (quoted if it was), else its kind.</summary>
    public abstract string Describe();
}

internal sealed class PolicyScalar(Mark start, string value, ScalarStyle style) : PolicyNode(start)
{
    public string Value { get; } = value;

    /// <summary>Plain scalars are YAML's numbers, booleans and nulls; quoted ones are always text.</summary>
    public bool IsPlain { get; } = style == ScalarStyle.Plain;

    /// <summary>An empty plain scalar, <c>~</c> or <c>null</c>: YAML's null.</summary>
    public bool IsNull => IsPlain && Value is "" or "~" or "null" or "Null" or "NULL";

    public override string Describe() => IsNull ? "nothing" : IsPlain ? Value : $"\"{Value}\"";
}

internal sealed class PolicySequence(Mark start, IReadOnlyList<PolicyNode> items) : PolicyNode(start)
{
    public IReadOnlyList<PolicyNode> Items { get; } = items;

    public override string Describe() => "a list";
}

internal sealed class PolicyMapping(Mark start, IReadOnlyList<KeyValuePair<PolicyScalar, PolicyNode>> entries) : PolicyNode(start)
{
    public IReadOnlyList<KeyValuePair<PolicyScalar, PolicyNode>> Entries { get; } = entries;

    public override string Describe() => "a mapping";
}

/// <summary>
/// Reads YAML text into <see cref="PolicyNode"/>s from YamlDotNet's event stream, keeping every node's position.
/// </summary>
/// <remarks>
/// The event stream (rather than YamlDotNet's representation model or deserializer) is used so that duplicate keys
/// survive to validation, where they are reported with the field path, and so that anchors, aliases, explicit tags
/// and multiple documents can be refused outright: a policy is one plain document that reads the same to every tool.
/// </remarks>
internal sealed class PolicyYaml
{
    private const int MaxDepth = 16;

    private readonly string _sourceName;
    private readonly Parser _parser;
    private Mark _lastGood = Mark.Empty;

    private PolicyYaml(string text, string sourceName)
    {
        _sourceName = sourceName;
        _parser = new Parser(new StringReader(text));
    }

    public static PolicyNode Read(string text, string sourceName) => new PolicyYaml(text, sourceName).ReadDocument();

    private PolicyNode ReadDocument()
    {
        try
        {
            Consume<StreamStart>();
            if (_parser.Accept<StreamEnd>(out _))
            {
                throw new PolicyException(_sourceName, 1, 1, null, "is empty; a policy must be a YAML mapping");
            }

            Consume<DocumentStart>();
            var root = ReadNode(depth: 0);
            Consume<DocumentEnd>();
            if (!_parser.Accept<StreamEnd>(out _))
            {
                var next = _parser.Current!;
                throw new PolicyException(_sourceName, next.Start.Line, next.Start.Column, null, "starts a second YAML document; a policy file holds exactly one");
            }

            return root;
        }
        catch (YamlException error)
        {
            throw new PolicyException(_sourceName, error.Start.Line, error.Start.Column, null, $"is not valid YAML: {WithoutLocation(error.Message)}", error);
        }
        catch (InvalidOperationException error)
        {
            // YamlDotNet's scanner occasionally fails on malformed input without a YamlException (and so without a
            // position); the last event it did produce is the best position there is.
            throw new PolicyException(
                _sourceName, _lastGood.Line, _lastGood.Column, null, $"is not valid YAML after this point (the YAML parser failed: {error.Message})", error);
        }
    }

    private PolicyNode ReadNode(int depth)
    {
        var current = _parser.Current ?? throw new PolicyException(_sourceName, _lastGood.Line, _lastGood.Column, null, "ends unexpectedly");
        if (depth > MaxDepth)
        {
            throw Refuse(current, $"nests deeper than {MaxDepth} levels");
        }

        switch (current)
        {
            case AnchorAlias:
                throw Refuse(current, "uses an alias (*name); anchors and aliases are not allowed in policy files");
            case NodeEvent { Anchor.IsEmpty: false }:
                throw Refuse(current, "defines an anchor (&name); anchors and aliases are not allowed in policy files");
            case NodeEvent { Tag.IsEmpty: false } tagged:
                throw Refuse(current, $"uses the explicit tag {tagged.Tag}; tags are not allowed in policy files");
            case Scalar scalar:
                Advance();
                return new PolicyScalar(scalar.Start, scalar.Value, scalar.Style);
            case SequenceStart start:
            {
                Advance();
                var items = new List<PolicyNode>();
                while (!TryConsume<SequenceEnd>())
                {
                    items.Add(ReadNode(depth + 1));
                }

                return new PolicySequence(start.Start, items);
            }

            case MappingStart start:
            {
                Advance();
                var entries = new List<KeyValuePair<PolicyScalar, PolicyNode>>();
                while (!TryConsume<MappingEnd>())
                {
                    var key = ReadNode(depth + 1);
                    if (key is not PolicyScalar scalarKey)
                    {
                        throw new PolicyException(_sourceName, key.Line, key.Column, null, $"uses {key.Describe()} as a mapping key; keys must be plain text");
                    }

                    entries.Add(new(scalarKey, ReadNode(depth + 1)));
                }

                return new PolicyMapping(start.Start, entries);
            }

            default:
                throw Refuse(current, $"has an unexpected YAML event {current.GetType().Name}");
        }
    }

    private void Advance()
    {
        _lastGood = _parser.Current?.Start ?? _lastGood;
        _parser.MoveNext();
    }

    private void Consume<T>()
        where T : ParsingEvent
    {
        _lastGood = _parser.Current?.Start ?? _lastGood;
        _parser.Consume<T>();
    }

    private bool TryConsume<T>()
        where T : ParsingEvent
    {
        _lastGood = _parser.Current?.Start ?? _lastGood;
        return _parser.TryConsume<T>(out _);
    }

    private PolicyException Refuse(ParsingEvent at, string problem) =>
        new(_sourceName, at.Start.Line, at.Start.Column, null, problem);

    /// <summary>YamlDotNet prefixes messages with "(Line: 3, Col: 1, Idx: 20) - (…): "; the policy error has its own.</summary>
    private static string WithoutLocation(string message)
    {
        int separator = message.IndexOf("): ", StringComparison.Ordinal);
        return message.StartsWith("(Line:", StringComparison.Ordinal) && separator >= 0 ? message[(separator + 3)..] : message;
    }
}
