namespace Federation.Contracts.Events;

/// <summary>Names of the streams in the event history.</summary>
public static class EventStreams
{
    /// <summary>Opening, contributions and closing of one round.</summary>
    public static string Round(int round) => $"round-{round}";

    /// <summary>Every published model version, in order.</summary>
    public const string Models = "models";

    /// <summary>Every recorded or rejected evaluation report.</summary>
    public const string Evaluations = "evaluations";

    /// <summary>The stream of one gateway's key enrolments, rotations, revocations and allowed policies.</summary>
    public static string Gateway(string gatewayId) => $"gateway-{gatewayId}";

    /// <summary>Rejected contributions that name no readable round (malformed or unknown round).</summary>
    public const string Unattributed = "unattributed-contributions";
}
