using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Text.RegularExpressions;

namespace PiCluster.Transport;

/// <summary>
/// Masks secrets in text bound for users: verbose lines, ShouldProcess text, results, error messages and the
/// exceptions PowerShell keeps. It masks kubeadm join tokens, certificate keys (64 hex digits that are not a
/// <c>sha256:</c> CA hash, which is public) and every value registered with <see cref="Add"/>. Thread-safe.
/// </summary>
/// <remarks>
/// The rule for registered secrets (a sudo password, say), whatever their length:
/// <list type="bullet">
/// <item>A secret of <see cref="AnywhereFrom"/> characters or more is masked wherever it appears, also inside a word.</item>
/// <item>A shorter secret (down to one character) is masked wherever it stands as a whole token: where the character
/// before it and the character after it (if any) are not letters, digits or "*". Inside a longer run of letters and
/// digits it is left alone: masking every "e" of a password "e" would destroy all other text while hiding nothing,
/// and "e" inside "node" tells no one the password.</item>
/// </list>
/// Matching is ordinal (case-sensitive) and longest secret first, in one pass, so a mask is never masked again.
/// </remarks>
public sealed class Redactor
{
    /// <summary>What a secret is replaced with.</summary>
    public const string Mask = "********";

    /// <summary>Registered secrets at least this long are masked anywhere; shorter ones only as whole tokens.</summary>
    public const int AnywhereFrom = 8;

    // Join tokens are "[a-z0-9]{6}.[a-z0-9]{16}"; certificate keys are 32 bytes in hex. A "sha256:" CA hash is public
    // and needed to read join commands, so it stays.
    private static readonly Regex Patterns = new(
        @"(?<![a-z0-9])[a-z0-9]{6}\.[a-z0-9]{16}(?![a-z0-9])|(?<!sha256:)(?<![0-9a-fA-F])[0-9a-fA-F]{64}(?![0-9a-fA-F])",
        RegexOptions.CultureInvariant | RegexOptions.Compiled);

    private readonly object _gate = new();
    private string[] _secrets = Array.Empty<string>();
    private Regex? _known;

    /// <summary>Creates a redactor that also masks <paramref name="secrets"/>.</summary>
    public Redactor(IEnumerable<string?>? secrets = null)
    {
        foreach (var s in secrets ?? Enumerable.Empty<string?>()) Add(s);
    }

    /// <summary>A redactor for one run: it masks the run's sudo password (<see cref="ConnectOptions.SudoPassword"/>) too.</summary>
    public static Redactor ForRun(ConnectOptions? options) =>
        new(options?.SudoPassword is null ? null : new[] { new System.Net.NetworkCredential("", options.SudoPassword).Password });

    /// <summary>Registers a secret value to mask (see the rule in the remarks). Null and empty values are ignored.</summary>
    public void Add(string? secret)
    {
        if (string.IsNullOrEmpty(secret)) return;
        lock (_gate)
        {
            if (_secrets.Contains(secret, StringComparer.Ordinal)) return;
            // Longest first, so a secret that contains another is masked whole.
            _secrets = _secrets.Append(secret!).OrderByDescending(s => s.Length).ThenBy(s => s, StringComparer.Ordinal).ToArray();
            _known = new Regex(string.Join("|", _secrets.Select(Alternative)), RegexOptions.CultureInvariant);
        }
    }

    /// <summary>The text with every registered secret, join token and certificate key replaced by <see cref="Mask"/>.</summary>
    public string Redact(string? text)
    {
        if (string.IsNullOrEmpty(text)) return text ?? "";
        return Patterns.Replace(RedactKnown(text), Mask);
    }

    /// <summary>
    /// The text with only the registered secrets masked, not the token and key patterns: for what the user asked a
    /// node to print (Invoke-PiCommand's output), where a 64-digit hex string is usually a checksum.
    /// </summary>
    public string RedactKnown(string? text)
    {
        if (string.IsNullOrEmpty(text)) return text ?? "";
        var known = Volatile.Read(ref _known);
        return known is null ? text! : known.Replace(text!, Mask);
    }

    private static string Alternative(string secret)
    {
        var escaped = Regex.Escape(secret);
        if (secret.Length >= AnywhereFrom) return escaped;
        // A whole token: no letter or digit right before or right after it. Nor a '*', so that redacting twice
        // leaves a mask alone (a password "*" would otherwise turn each star of a mask into another mask).
        return @"(?<![\p{L}\p{N}*])" + escaped + @"(?![\p{L}\p{N}*])";
    }
}
