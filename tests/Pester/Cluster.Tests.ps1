#Requires -Version 7.4
# Pester 5 tests of Test-PiCluster against the lab's cluster, written the way a user's verification script would be.
# Tagged Cluster: DeployLabTests runs them on the cluster it deployed, with $env:PICLUSTER_LAB_CLUSTER naming that
# cluster's file; they skip themselves, saying why, when no control plane of that file has been initialised.

BeforeAll {
    $RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
    Import-Module (Join-Path $RepoRoot 'PiCluster.psd1') -Force
}

AfterAll {
    Remove-Module PiCluster -ErrorAction SilentlyContinue
}

Describe 'The lab cluster, checked by Test-PiCluster' -Tag Lab, Cluster {
    BeforeAll {
        $lab = $env:PICLUSTER_LAB_CLUSTER
        if (-not $lab -or -not (Test-Path $lab)) { throw 'PICLUSTER_LAB_CLUSTER must name the cluster file of a running lab.' }
        $leader = Get-PiNode -Path $lab | Where-Object Role -EQ 'ControlPlane' | Select-Object -First 1
        $probe = Invoke-PiCommand -Node $leader -Command 'test -e /etc/kubernetes/admin.conf && echo initialised || echo fresh'
        $skipReason = if (($probe.Output | Out-String).Trim() -ne 'initialised') {
            "no control plane is initialised on $($leader.Name) of the lab yet (no /etc/kubernetes/admin.conf): run Initialize-PiControlPlane, Install-PiPodNetwork and join the workers first"
        }
        if (-not $skipReason) {
            # The lab forwards the control plane's 6443 to this machine (nodes.json apiServer; certSANs list 127.0.0.1).
            $apiServer = if ($env:PICLUSTER_LAB_API_SERVER) { $env:PICLUSTER_LAB_API_SERVER }
                else { (Get-Content -Raw (Join-Path (Split-Path $lab) 'nodes.json') | ConvertFrom-Json).apiServer }
            $kubeconfig = Join-Path $TestDrive 'config'
            Export-PiKubeconfig -Path $lab -Name $leader.Name -KubeconfigPath $kubeconfig -Server $apiServer -Confirm:$false | Out-Null
            $cluster = $leader.Cluster.Name
        }
    }

    It 'passes every check' {
        if ($skipReason) { Set-ItResult -Skipped -Because $skipReason; return }
        Test-PiCluster -Path $lab -KubeconfigPath $kubeconfig | Where-Object -Not Passed | Should -BeNullOrEmpty
    }

    It 'says so with -Quiet' {
        if ($skipReason) { Set-ItResult -Skipped -Because $skipReason; return }
        Test-PiCluster -Path $lab -KubeconfigPath $kubeconfig -Quiet | Should -BeExactly $true
    }

    It 'gives a scheduled check script the exit code 0' {
        if ($skipReason) { Set-ItResult -Skipped -Because $skipReason; return }
        $script = Join-Path $TestDrive 'check.ps1'
        Set-Content -Path $script -Value @"
Import-Module '$(Join-Path $RepoRoot 'PiCluster.psd1')'
`$ok = Test-PiCluster -Path '$lab' -KubeconfigPath '$kubeconfig' -Quiet
"all passed: `$ok"
exit [int](-not `$ok)
"@
        # This pwsh again: under `dotnet tool run` the process is dotnet with pwsh.dll.
        $pwsh = (Get-Process -Id $PID).Path
        $pwshArgs = @(if ([IO.Path]::GetFileNameWithoutExtension($pwsh) -eq 'dotnet') { Join-Path $PSHOME 'pwsh.dll' })
        $said = & $pwsh @pwshArgs -NoProfile -File $script | Out-String
        $LASTEXITCODE | Should -Be 0
        $said | Should -Match 'all passed: True'
    }

    It 'leaves a kubeconfig with which the real kubectl lists every node of the file Ready' {
        if ($skipReason) { Set-ItResult -Skipped -Because $skipReason; return }
        $json = kubectl --kubeconfig $kubeconfig --context $cluster get nodes -o json | Out-String
        $LASTEXITCODE | Should -Be 0
        $nodes = ($json | ConvertFrom-Json).items
        $ready = @($nodes | Where-Object { ($_.status.conditions | Where-Object type -EQ 'Ready').status -eq 'True' } | ForEach-Object { $_.metadata.name } | Sort-Object)
        $ready | Should -Be @((Get-PiNode -Path $lab).Name | Sort-Object)
    }
}
