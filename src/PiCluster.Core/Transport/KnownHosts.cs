using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace PiCluster.Transport;

/// <summary>What known_hosts says about a host's key.</summary>
public enum HostKeyStatus
{
    /// <summary>The key is recorded for the host.</summary>
    Known,

    /// <summary>No key of this type is recorded for the host.</summary>
    Unknown,

    /// <summary>Another key of the same type is recorded for the host: refused, always.</summary>
    Changed,

    /// <summary>The key is marked <c>@revoked</c>.</summary>
    Revoked,
}

/// <summary>The verdict on one host key, with the recorded key's fingerprint when it changed.</summary>
public sealed class HostKeyVerdict
{
    internal HostKeyVerdict(HostKeyStatus status, string? recordedFingerprint = null, string? recordedIn = null, bool certAuthorityOnly = false)
    {
        Status = status;
        RecordedFingerprint = recordedFingerprint;
        RecordedIn = recordedIn;
        CertAuthorityOnly = certAuthorityOnly;
    }

    /// <summary>The status.</summary>
    public HostKeyStatus Status { get; }

    /// <summary>SHA256 fingerprint of the recorded key (Changed).</summary>
    public string? RecordedFingerprint { get; }

    /// <summary>"file:line" of the recorded or revoking entry.</summary>
    public string? RecordedIn { get; }

    /// <summary>The host is only covered by @cert-authority lines, which PiCluster's SSH.NET transport does not honour.</summary>
    public bool CertAuthorityOnly { get; }
}

/// <summary>
/// OpenSSH's known_hosts files, read and written as OpenSSH does: plain host patterns (with <c>*</c>, <c>?</c> and
/// <c>!</c> negation), hashed names (<c>|1|salt|hash</c>, HMAC-SHA1), <c>[host]:port</c> for a port other than 22,
/// <c>@revoked</c> and <c>@cert-authority</c> markers.
/// </summary>
public static class KnownHosts
{
    /// <summary>How known_hosts names a host: the name, or [name]:port for a port other than 22.</summary>
    public static string HostName(string host, int port) =>
        port == 22 ? host : "[" + host + "]:" + port.ToString(CultureInfo.InvariantCulture);

    /// <summary>OpenSSH's SHA256 fingerprint of a key blob: "SHA256:" and unpadded base64.</summary>
    public static string Fingerprint(byte[] keyBlob) => "SHA256:" + Convert.ToBase64String(SHA256.HashData(keyBlob)).TrimEnd('=');

    /// <summary>The key type inside a key blob (its first string), e.g. ssh-ed25519, ssh-rsa.</summary>
    public static string KeyType(byte[] blob)
    {
        if (blob.Length < 4) return "";
        var length = (blob[0] << 24) | (blob[1] << 16) | (blob[2] << 8) | blob[3];
        return length < 0 || length > blob.Length - 4 ? "" : Encoding.ASCII.GetString(blob, 4, length);
    }

    /// <summary>Checks <paramref name="keyBlob"/> for <paramref name="hostName"/> against every file (missing files count as empty).</summary>
    public static HostKeyVerdict Check(IEnumerable<string> files, string hostName, byte[] keyBlob)
    {
        var keyType = KeyType(keyBlob);
        var key = Convert.ToBase64String(keyBlob);
        HostKeyVerdict? changed = null;
        var known = false;
        var certAuthority = false;
        foreach (var file in files)
        {
            if (!File.Exists(file)) continue;
            var number = 0;
            foreach (var line in File.ReadLines(file))
            {
                number++;
                if (!TryParseLine(line, out var entry) || !Matches(entry.Hosts, hostName)) continue;
                var where = file + ":" + number.ToString(CultureInfo.InvariantCulture);
                if (entry.Marker == "@revoked")
                {
                    if (entry.Key == key) return new HostKeyVerdict(HostKeyStatus.Revoked, recordedIn: where);
                    continue;
                }
                if (entry.Marker == "@cert-authority") { certAuthority = true; continue; }
                if (entry.Marker is not null) continue;
                if (entry.Key == key) known = true;
                else if (entry.KeyType == keyType && changed is null)
                {
                    try { changed = new HostKeyVerdict(HostKeyStatus.Changed, Fingerprint(Convert.FromBase64String(entry.Key)), where); }
                    catch (FormatException) { /* a broken line is no key */ }
                }
            }
        }
        // OpenSSH: a matching key wins over a mismatching one of the same type (a host may list several keys).
        if (known) return new HostKeyVerdict(HostKeyStatus.Known);
        if (changed is not null) return changed;
        return new HostKeyVerdict(HostKeyStatus.Unknown, certAuthorityOnly: certAuthority);
    }

    /// <summary>The key types recorded (plain, unmarked entries) for the host, to prefer them in key exchange as OpenSSH does.</summary>
    public static HashSet<string> KnownKeyTypes(IEnumerable<string> files, string hostName)
    {
        var types = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in files.Where(File.Exists))
            foreach (var line in File.ReadLines(file))
                if (TryParseLine(line, out var entry) && entry.Marker is null && Matches(entry.Hosts, hostName)) types.Add(entry.KeyType);
        return types;
    }

    /// <summary>Appends a key as OpenSSH's accept-new does ("name type base64"), creating the file (and its folder) if needed.</summary>
    public static void Append(string file, string hostName, byte[] keyBlob)
    {
        var folder = Path.GetDirectoryName(file);
        if (!string.IsNullOrEmpty(folder) && !Directory.Exists(folder))
        {
            if (OperatingSystem.IsWindows()) Directory.CreateDirectory(folder);
            else Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        var line = hostName + " " + KeyType(keyBlob) + " " + Convert.ToBase64String(keyBlob) + "\n";
        var existing = File.Exists(file) ? File.ReadAllBytes(file) : Array.Empty<byte>();
        if (existing.Length > 0 && existing[existing.Length - 1] != '\n') line = "\n" + line;
        File.AppendAllText(file, line, new UTF8Encoding(false));
    }

    /// <summary>True when a known_hosts host field (comma-separated patterns or one hashed name) matches.</summary>
    public static bool Matches(string hosts, string hostName)
    {
        if (hosts.StartsWith("|1|", StringComparison.Ordinal)) return HashedMatches(hosts, hostName);
        var matched = false;
        foreach (var pattern in hosts.Split(','))
        {
            if (pattern.Length == 0) continue;
            var negated = pattern[0] == '!';
            var glob = negated ? pattern.Substring(1) : pattern;
            if (!Glob(glob, hostName)) continue;
            if (negated) return false;
            matched = true;
        }
        return matched;
    }

    /// <summary>An OpenSSH hashed name for <paramref name="hostName"/> with the given salt: |1|base64(salt)|base64(HMAC-SHA1(salt, name)).</summary>
    public static string Hash(string hostName, byte[] salt)
    {
        using var hmac = new HMACSHA1(salt);
        return "|1|" + Convert.ToBase64String(salt) + "|" + Convert.ToBase64String(hmac.ComputeHash(Encoding.UTF8.GetBytes(hostName)));
    }

    private static bool HashedMatches(string field, string hostName)
    {
        var parts = field.Split('|');
        if (parts.Length != 4) return false;
        try
        {
            var salt = Convert.FromBase64String(parts[2]);
            var expected = Convert.FromBase64String(parts[3]);
            using var hmac = new HMACSHA1(salt);
            return CryptographicOperations.FixedTimeEquals(hmac.ComputeHash(Encoding.UTF8.GetBytes(hostName)), expected);
        }
        catch (FormatException) { return false; }
    }

    private static bool Glob(string pattern, string text)
    {
        if (pattern.IndexOfAny(new[] { '*', '?' }) < 0) return string.Equals(pattern, text, StringComparison.OrdinalIgnoreCase);
        var regex = "^" + Regex.Escape(pattern).Replace(@"\*", ".*").Replace(@"\?", ".") + "$";
        return Regex.IsMatch(text, regex, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
    }

    private readonly struct Entry
    {
        public Entry(string? marker, string hosts, string keyType, string key)
        {
            Marker = marker;
            Hosts = hosts;
            KeyType = keyType;
            Key = key;
        }

        public string? Marker { get; }
        public string Hosts { get; }
        public string KeyType { get; }
        public string Key { get; }
    }

    private static bool TryParseLine(string line, out Entry entry)
    {
        entry = default;
        var text = line.Trim();
        if (text.Length == 0 || text[0] == '#') return false;
        var fields = text.Split(new[] { ' ', '\t' }, StringSplitOptions.RemoveEmptyEntries);
        var i = 0;
        string? marker = null;
        if (fields[0].StartsWith("@", StringComparison.Ordinal)) { marker = fields[0]; i = 1; }
        if (fields.Length < i + 3) return false;
        entry = new Entry(marker, fields[i], fields[i + 1], fields[i + 2]);
        return true;
    }
}
