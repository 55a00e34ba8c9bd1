namespace Federation.Contracts.Events;

/// <summary>Marks a record that is persisted in the event history. See <see cref="EventTypes"/> for its stored name.</summary>
public interface IFederationEvent;
