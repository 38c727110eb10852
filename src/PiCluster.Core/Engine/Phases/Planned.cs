using System;

namespace PiCluster.Engine.Phases;

/// <summary>
/// What a phase reads of an earlier phase's output: the value itself, or, in a dry run (-WhatIf, or -Confirm answered
/// no) where the producing phase did not apply, a placeholder such as "&lt;join command from phase Init on node1&gt;".
/// A plan describes its changes with <see cref="ToString"/>, which works for both; an apply uses <see cref="Value"/>,
/// which a real run always has (a declined node applies nothing).
/// </summary>
/// <typeparam name="T">The output's type.</typeparam>
public sealed class Planned<T>
{
    private readonly T _value;

    private Planned(T value, string? placeholder)
    {
        _value = value;
        PlaceholderText = placeholder;
    }

    /// <summary>A real value.</summary>
    public static Planned<T> Known(T value) => new(value, null);

    /// <summary>A stand-in for a value that would exist had the producing phase applied.</summary>
    public static Planned<T> Placeholder(string description) =>
        new(default!, string.IsNullOrWhiteSpace(description) ? throw new ArgumentException("A placeholder needs a description.", nameof(description)) : description);

    /// <summary>True for a real value, false for a dry run's placeholder.</summary>
    public bool IsKnown => PlaceholderText is null;

    /// <summary>The placeholder's description; null for a real value.</summary>
    public string? PlaceholderText { get; }

    /// <summary>The value.</summary>
    /// <exception cref="InvalidOperationException">This is a placeholder: only a plan may meet one.</exception>
    public T Value => IsKnown ? _value
        : throw new InvalidOperationException($"{PlaceholderText} does not exist yet (a dry run): a plan may describe it, only an apply uses it.");

    /// <summary>The value as text, or the placeholder's description.</summary>
    public override string ToString() => IsKnown ? _value?.ToString() ?? "" : PlaceholderText!;
}
