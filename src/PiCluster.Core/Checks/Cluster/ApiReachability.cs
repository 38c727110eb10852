using System;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Net.Security;
using System.Runtime.InteropServices;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using YamlDotNet.RepresentationModel;

namespace PiCluster.Checks.Cluster;

/// <summary>What asking the API server's /readyz from this machine found.</summary>
/// <param name="Reached">It answered 200.</param>
/// <param name="Detail">What happened (never a credential).</param>
/// <param name="Remedy">What to do when it failed.</param>
public sealed record ApiProbe(bool Reached, string Detail, string Remedy = "");

/// <summary>
/// Asks the API server GET /readyz the way kubectl would with the merged kubeconfig's context named after the cluster
/// (what Export-PiKubeconfig writes): its server, its CA (data or file) and its user's client certificate and key (data
/// or files) or bearer token. Bounded by a timeout; a failure is an <see cref="ApiProbe"/>, never an exception, and no
/// credential appears in it.
/// </summary>
public static class ApiReachability
{
    /// <summary>Probes the API of <paramref name="context"/> in the kubeconfig at <paramref name="kubeconfigPath"/>.</summary>
    public static async Task<ApiProbe> ProbeAsync(string kubeconfigPath, string context, TimeSpan timeout, CancellationToken cancellation)
    {
        Endpoint endpoint;
        try { endpoint = Read(kubeconfigPath, context); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or YamlDotNet.Core.YamlException or ArgumentException)
        {
            return new ApiProbe(false, $"cannot use {kubeconfigPath}: {e.Message}",
                $"Run Export-PiKubeconfig (with -KubeconfigPath {kubeconfigPath} if it is not ~/.kube/config) to merge the cluster's context '{context}'.");
        }
        using (endpoint)
        {
            var url = new Uri(endpoint.Server, "/readyz");
            using var handler = new HttpClientHandler
            {
                // Only the kubeconfig's CA is trusted, with the host name checked, as kubectl does.
                ServerCertificateCustomValidationCallback = (_, certificate, _, errors) => Trusted(certificate, errors, endpoint.Authority),
                UseProxy = false,
            };
            if (endpoint.ClientCertificate is not null) handler.ClientCertificates.Add(endpoint.ClientCertificate);
            using var client = new HttpClient(handler) { Timeout = timeout };
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            if (endpoint.Token is not null) request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", endpoint.Token);
            try
            {
                using var response = await client.SendAsync(request, cancellation).ConfigureAwait(false);
                var body = (await response.Content.ReadAsStringAsync(cancellation).ConfigureAwait(false)).Trim();
                var said = body.Length is > 0 and <= 200 ? $": {ClusterJson.OneLine(body)}" : "";
                return response.IsSuccessStatusCode
                    ? new ApiProbe(true, $"{url} answered {(int)response.StatusCode}{said} (context {context} of {kubeconfigPath})")
                    : new ApiProbe(false, $"{url} answered {(int)response.StatusCode} {response.ReasonPhrase}{said} (context {context} of {kubeconfigPath})",
                        (int)response.StatusCode is 401 or 403
                            ? "The kubeconfig's credential is not accepted: run Export-PiKubeconfig again to take the cluster's current admin credential."
                            : "The API server is not ready: look at the control plane's pods (kubectl -n kube-system get pods) and the kubelet's log there.");
            }
            // Whatever fails here (TLS, DNS, refused, timeout) is the check's finding, not the run's failure.
            catch (Exception e) when (e is not OperationCanceledException || !cancellation.IsCancellationRequested)
            {
                var why = e is TaskCanceledException ? $"no answer within {timeout.TotalSeconds:0} s" : Reason(e);
                return new ApiProbe(false, $"{url} (context {context} of {kubeconfigPath}): {why}",
                    "Check that this machine reaches the API address (a firewall, a VPN, or -Server of Export-PiKubeconfig for a tunnel or VIP) and that the control plane runs.");
            }
        }
    }

    private static string Reason(Exception e)
    {
        var messages = new System.Collections.Generic.List<string>();
        for (var x = e; x is not null; x = x.InnerException) if (!messages.Contains(x.Message)) messages.Add(x.Message);
        return string.Join(": ", messages);
    }

    private static bool Trusted(X509Certificate2? certificate, SslPolicyErrors errors, X509Certificate2? authority)
    {
        if (certificate is null || (errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0) return false;
        if (authority is null) return errors == SslPolicyErrors.None;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }

    private sealed class Endpoint : IDisposable
    {
        public Endpoint(Uri server, X509Certificate2? authority, X509Certificate2? clientCertificate, string? token)
        {
            Server = server;
            Authority = authority;
            ClientCertificate = clientCertificate;
            Token = token;
        }

        public Uri Server { get; }
        public X509Certificate2? Authority { get; }
        public X509Certificate2? ClientCertificate { get; }
        public string? Token { get; }

        public void Dispose()
        {
            Authority?.Dispose();
            ClientCertificate?.Dispose();
        }
    }

    private static Endpoint Read(string path, string contextName)
    {
        if (!File.Exists(path)) throw new FileNotFoundException("there is no such file");
        var stream = new YamlStream();
        using (var reader = new StreamReader(path)) stream.Load(reader);
        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root) throw new FormatException("it is not a kubeconfig");
        var baseDirectory = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";

        YamlMappingNode Entry(string section, string name, string inner) =>
            (Child(root, section) as YamlSequenceNode)?.Children.OfType<YamlMappingNode>().FirstOrDefault(i => Scalar(i, "name") == name) is { } item
                && Child(item, inner) is YamlMappingNode found
                ? found
                : throw new FormatException($"it has no {section.TrimEnd('s')} named '{name}'");

        var context = Entry("contexts", contextName, "context");
        var cluster = Entry("clusters", Scalar(context, "cluster") ?? "", "cluster");
        var user = Entry("users", Scalar(context, "user") ?? "", "user");
        if (!Uri.TryCreate(Scalar(cluster, "server"), UriKind.Absolute, out var server) || server.Scheme != Uri.UriSchemeHttps)
            throw new FormatException($"the cluster of context '{contextName}' has no https server");

        string? Pem(YamlMappingNode node, string dataKey, string fileKey)
        {
            if (Scalar(node, dataKey) is { Length: > 0 } data)
            {
                try { return System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(data)); }
                catch (FormatException) { throw new FormatException($"{dataKey} of context '{contextName}' is not base64"); }
            }
            return Scalar(node, fileKey) is { Length: > 0 } file ? File.ReadAllText(Path.IsPathRooted(file) ? file : Path.Combine(baseDirectory, file)) : null;
        }

        X509Certificate2? authority = null, clientCertificate = null;
        try
        {
            if (Pem(cluster, "certificate-authority-data", "certificate-authority") is { } caPem) authority = X509Certificate2.CreateFromPem(caPem);
            var certPem = Pem(user, "client-certificate-data", "client-certificate");
            var keyPem = Pem(user, "client-key-data", "client-key");
            if (certPem is not null && keyPem is not null)
            {
                clientCertificate = X509Certificate2.CreateFromPem(certPem, keyPem);
                // Windows' TLS (SChannel) cannot use an ephemeral key for client authentication: go through PKCS#12.
                if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
                {
                    using var ephemeral = clientCertificate;
#pragma warning disable SYSLIB0057 // X509CertificateLoader is .NET 9+; Core targets .NET 8 (PowerShell 7.4).
                    clientCertificate = new X509Certificate2(ephemeral.Export(X509ContentType.Pkcs12));
#pragma warning restore SYSLIB0057
                }
            }
            var token = Scalar(user, "token") is { Length: > 0 } t ? t : null;
            if (clientCertificate is null && token is null)
                throw new FormatException($"the user of context '{contextName}' has neither a client certificate and key nor a token");
            return new Endpoint(server, authority, clientCertificate, token);
        }
        catch (System.Security.Cryptography.CryptographicException e)
        {
            authority?.Dispose();
            clientCertificate?.Dispose();
            throw new FormatException($"the certificates of context '{contextName}' cannot be read: {e.Message}", e);
        }
        catch
        {
            authority?.Dispose();
            clientCertificate?.Dispose();
            throw;
        }
    }

    private static YamlNode? Child(YamlNode node, string key) =>
        node is YamlMappingNode map && map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    private static string? Scalar(YamlNode node, string key) => (Child(node, key) as YamlScalarNode)?.Value;
}
