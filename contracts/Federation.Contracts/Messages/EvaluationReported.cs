using MassTransit;

namespace Federation.Contracts.Messages;

/// <summary>A gateway's signed evaluation of a published model on its local held-out data.</summary>
/// <param name="Report">The <see cref="Signing.EvaluationReport"/> as RFC 8785 canonical JSON.</param>
/// <param name="Signature">Ed25519 signature over the UTF-8 bytes of <paramref name="Report"/>, base64.</param>
[MessageUrn("federation:evaluation-reported:v1")]
public sealed record EvaluationReported(string Report, string Signature);
