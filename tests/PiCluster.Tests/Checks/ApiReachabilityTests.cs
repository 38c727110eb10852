using System;
using System.IO;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using PiCluster.Checks.Cluster;
using Xunit;

namespace PiCluster.Tests.Checks;

/// <summary>
/// The API check against a loopback HTTPS server this test runs (TcpListener + SslStream) with a CA, a serving and a
/// client certificate made here: kubectl's way of trusting only the kubeconfig's CA and presenting its client certificate.
/// </summary>
public sealed class ApiReachabilityTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("picluster-api-").FullName;
    private readonly X509Certificate2 _ca = MakeCa("picluster-test-ca");
    private readonly X509Certificate2 _otherCa = MakeCa("some-other-ca");

    public void Dispose()
    {
        Directory.Delete(_dir, recursive: true);
        _ca.Dispose();
        _otherCa.Dispose();
    }

    internal static X509Certificate2 MakeCa(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + name, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(10));
    }

    internal static X509Certificate2 Issue(X509Certificate2 ca, string subject, bool server)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection
        {
            server ? new Oid("1.3.6.1.5.5.7.3.1") : new Oid("1.3.6.1.5.5.7.3.2"),
        }, false));
        if (server)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(IPAddress.Loopback);
            names.AddDnsName("kubernetes");
            request.CertificateExtensions.Add(names.Build());
        }
        var serial = new byte[8];
        RandomNumberGenerator.Fill(serial);
        using var issued = request.Create(ca, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(30), serial);
        return issued.CopyWithPrivateKey(key);
    }

    private static string Pem(X509Certificate2 certificate) => new(PemEncoding.Write("CERTIFICATE", certificate.RawData));

    private static string KeyPem(X509Certificate2 certificate) => new(PemEncoding.Write("PRIVATE KEY", certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKey()));

    private static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    /// <summary>A kubeconfig like Export-PiKubeconfig's: context, cluster and user, the credential as data.</summary>
    private string Kubeconfig(int port, X509Certificate2 ca, X509Certificate2? client, string? token = null) => WriteKubeconfig(_dir, port, ca, client, token);

    internal static string WriteKubeconfig(string dir, int port, X509Certificate2 ca, X509Certificate2? client, string? token = null)
    {
        var user = client is not null
            ? $"    client-certificate-data: {B64(Pem(client))}\n    client-key-data: {B64(KeyPem(client))}\n"
            : $"    token: {token}\n";
        var path = Path.Combine(dir, "config");
        File.WriteAllText(path, "apiVersion: v1\nkind: Config\nclusters:\n- name: other\n  cluster:\n    server: https://10.1.1.1:6443\n"
            + $"- name: homelab\n  cluster:\n    certificate-authority-data: {B64(Pem(ca))}\n    server: https://127.0.0.1:{port}\n"
            + "contexts:\n- name: homelab\n  context:\n    cluster: homelab\n    user: homelab-admin\ncurrent-context: other\n"
            + $"users:\n- name: homelab-admin\n  user:\n{user}");
        return path;
    }

    /// <summary>A loopback API server: 200 "ok" on /readyz for a client certificate of the CA, 401 otherwise.</summary>
    internal sealed class FakeApiServer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly X509Certificate2 _certificate;
        private readonly X509Certificate2 _ca;
        private readonly bool _silent;

        public FakeApiServer(X509Certificate2 ca, bool silent = false)
        {
            _ca = ca;
            _silent = silent;
            _certificate = Issue(ca, "CN=kube-apiserver", server: true);
            _listener.Start();
            _ = Task.Run(ServeAsync);
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
        public string? Path { get; private set; }
        public string? ClientSubject { get; private set; }

        private async Task ServeAsync()
        {
            while (true)
            {
                TcpClient client;
                try { client = await _listener.AcceptTcpClientAsync(); }
                catch (Exception e) when (e is SocketException or ObjectDisposedException) { return; }
                _ = Task.Run(() => HandleAsync(client));
            }
        }

        private async Task HandleAsync(TcpClient client)
        {
            using (client)
            {
                if (_silent) { await Task.Delay(TimeSpan.FromSeconds(20)); return; }
                try
                {
                    await using var tls = new SslStream(client.GetStream(), false, (_, _, _, _) => true);
                    await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate, ClientCertificateRequired = true });
                    var request = new StringBuilder();
                    var buffer = new byte[4096];
                    while (!request.ToString().Contains("\r\n\r\n"))
                    {
                        var n = await tls.ReadAsync(buffer);
                        if (n == 0) return;
                        request.Append(Encoding.ASCII.GetString(buffer, 0, n));
                    }
                    Path = request.ToString().Split(' ')[1];
                    var presented = tls.RemoteCertificate is { } remote ? new X509Certificate2(remote) : null;
                    ClientSubject = presented?.Subject;
                    var trusted = presented is not null && IssuedByCa(presented);
                    var body = trusted ? "ok" : "{\"kind\":\"Status\",\"status\":\"Failure\",\"message\":\"Unauthorized\",\"reason\":\"Unauthorized\",\"code\":401}";
                    var status = trusted ? "200 OK" : "401 Unauthorized";
                    await tls.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}"));
                }
                catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException) { }
            }
        }

        private bool IssuedByCa(X509Certificate2 certificate)
        {
            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(_ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return chain.Build(certificate);
        }

        public void Dispose()
        {
            _listener.Stop();
            _certificate.Dispose();
        }
    }

    private static Task<ApiProbe> Probe(string path, string context = "homelab", double seconds = 10) =>
        ApiReachability.ProbeAsync(path, context, TimeSpan.FromSeconds(seconds), CancellationToken.None);

    [Fact]
    public async Task TheContextsCaAndClientCertificateReachReadyz()
    {
        using var server = new FakeApiServer(_ca);
        using var client = Issue(_ca, "CN=kubernetes-admin, O=kubeadm:cluster-admins", server: false);
        var path = Kubeconfig(server.Port, _ca, client);
        var probe = await Probe(path);
        Assert.True(probe.Reached, probe.Detail);
        Assert.Equal("/readyz", server.Path);
        Assert.Contains("kubernetes-admin", server.ClientSubject);
        Assert.Equal($"https://127.0.0.1:{server.Port}/readyz answered 200: ok (context homelab of {path})", probe.Detail);
        Assert.DoesNotContain("PRIVATE", probe.Detail + probe.Remedy);
    }

    [Fact]
    public async Task AServerTheContextsCaDidNotSignIsNotTrusted()
    {
        using var server = new FakeApiServer(_otherCa);
        using var client = Issue(_ca, "CN=kubernetes-admin", server: false);
        var probe = await Probe(Kubeconfig(server.Port, _ca, client));
        Assert.False(probe.Reached);
        Assert.Null(server.Path);
        Assert.Contains("SSL", probe.Detail, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("reaches the API address", probe.Remedy);
    }

    [Fact]
    public async Task ARefusedCredentialFailsAndTheTokenIsNowhereInTheResult()
    {
        using var server = new FakeApiServer(_ca);
        const string token = "abcdef.0123456789abcdef";
        var probe = await Probe(Kubeconfig(server.Port, _ca, client: null, token));
        Assert.False(probe.Reached);
        Assert.Equal("/readyz", server.Path);
        Assert.Contains("answered 401 Unauthorized", probe.Detail);
        Assert.Contains("Export-PiKubeconfig again", probe.Remedy);
        Assert.DoesNotContain(token, probe.Detail + probe.Remedy);
    }

    [Fact]
    public async Task NoKubeconfigOrNoContextOfTheClusterSaysToExportIt()
    {
        var missing = await Probe(Path.Combine(_dir, "absent"));
        Assert.False(missing.Reached);
        Assert.Contains("there is no such file", missing.Detail);
        Assert.Contains("Export-PiKubeconfig", missing.Remedy);

        using var client = Issue(_ca, "CN=kubernetes-admin", server: false);
        var other = await Probe(Kubeconfig(1, _ca, client), context: "workshop");
        Assert.False(other.Reached);
        Assert.Contains("it has no context named 'workshop'", other.Detail);
        Assert.Contains("context 'workshop'", other.Remedy);
    }

    [Fact]
    public async Task AServerThatNeverAnswersFailsWithinTheTimeout()
    {
        using var server = new FakeApiServer(_ca, silent: true);
        using var client = Issue(_ca, "CN=kubernetes-admin", server: false);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var probe = await Probe(Kubeconfig(server.Port, _ca, client), seconds: 1);
        Assert.False(probe.Reached);
        Assert.Contains("no answer within 1 s", probe.Detail);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), clock.Elapsed.ToString());
    }
}
