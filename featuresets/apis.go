package featuresets

import "strings"

// API families of risky calls (DESIGN §3). A resolved call name may belong
// to several families (socket.gethostname is network and system info).
type apiFamily string

const (
	apiExec    apiFamily = "exec"    // dynamic code: exec/eval/compile/__import__/getattr/importlib
	apiProcess apiFamily = "process" // subprocess, os.system, popen, exec*/spawn*, pty
	apiNetwork apiFamily = "network" // socket, urllib, requests, http.client, connect
	apiFile    apiFamily = "file"    // open/read/write, shutil, os.remove and friends
	apiDecode  apiFamily = "decode"  // base64, codecs, zlib, marshal, binascii, pickle
	apiEnv     apiFamily = "envinfo" // environment and system information
	apiNative  apiFamily = "native"  // ctypes, cffi, Windows APIs
)

var apiFamilies = []apiFamily{apiExec, apiProcess, apiNetwork, apiFile, apiDecode, apiEnv, apiNative}

var apiFamilyDoc = map[apiFamily]string{
	apiExec:    "code execution: exec, eval, compile, execfile, __import__, getattr, importlib.*, runpy.*",
	apiProcess: "processes: subprocess.*, os.system, os.popen, os.exec*/spawn*/posix_spawn/startfile, pty.spawn, commands.*",
	apiNetwork: "network: socket.*, urllib/urllib2/urllib3.*, requests.*, http.client.*, httpx.*, aiohttp.*, ftplib/smtplib/telnetlib/paramiko.*, websocket*, any .connect/.urlopen/.urlretrieve",
	apiFile:    "file access: open, io/codecs/os.open, .read*/.write*, shutil.*, os.remove/unlink/rename/replace/chmod/chown/mkdir/makedirs/rmdir/walk/listdir, pathlib.*, tempfile.*, glob.*",
	apiDecode:  "decoding: base64.*, codecs.decode/encode, zlib/gzip/bz2/lzma decompress, marshal.*, binascii.*, .fromhex, pickle.load(s), .decrypt",
	apiEnv:     "environment/system info: os.getenv, os.environ.*, os.getlogin/uname/getuid, platform.*, getpass.*, socket.gethostname, uuid.getnode, psutil.*, sys.platform-like probes",
	apiNative:  "native and Windows APIs: ctypes.*, cffi.*, winreg/_winreg.*, win32api/win32con/win32crypt/win32process.*, _winapi.*, msvcrt.*, windll",
}

// prefixFamilies: a call whose name is the module or starts with "module."
// belongs to the family.
var prefixFamilies = map[string][]apiFamily{
	"importlib": {apiExec}, "runpy": {apiExec}, "imp": {apiExec},
	"subprocess": {apiProcess}, "pty": {apiProcess}, "commands": {apiProcess}, "popen2": {apiProcess},
	"socket": {apiNetwork}, "urllib": {apiNetwork}, "urllib2": {apiNetwork}, "urllib3": {apiNetwork},
	"requests": {apiNetwork}, "http.client": {apiNetwork}, "httplib": {apiNetwork}, "httpx": {apiNetwork},
	"aiohttp": {apiNetwork}, "ftplib": {apiNetwork}, "smtplib": {apiNetwork}, "telnetlib": {apiNetwork},
	"paramiko": {apiNetwork}, "websocket": {apiNetwork}, "websockets": {apiNetwork}, "dns": {apiNetwork},
	"discord_webhook": {apiNetwork}, "pycurl": {apiNetwork},
	"shutil": {apiFile}, "pathlib": {apiFile}, "tempfile": {apiFile}, "glob": {apiFile},
	"base64": {apiDecode}, "zlib": {apiDecode}, "marshal": {apiDecode}, "binascii": {apiDecode},
	"bz2": {apiDecode}, "lzma": {apiDecode},
	"platform": {apiEnv}, "getpass": {apiEnv}, "psutil": {apiEnv}, "os.environ": {apiEnv},
	"ctypes": {apiNative}, "cffi": {apiNative}, "winreg": {apiNative}, "_winreg": {apiNative},
	"win32api": {apiNative}, "win32con": {apiNative}, "win32crypt": {apiNative}, "win32process": {apiNative},
	"win32gui": {apiNative}, "_winapi": {apiNative}, "msvcrt": {apiNative},
}

// exactFamilies: calls matched by their whole resolved name.
var exactFamilies = map[string][]apiFamily{
	"exec": {apiExec}, "eval": {apiExec}, "compile": {apiExec}, "execfile": {apiExec},
	"__import__": {apiExec}, "getattr": {apiExec},
	"os.system": {apiProcess}, "os.popen": {apiProcess}, "os.startfile": {apiProcess}, "os.posix_spawn": {apiProcess},
	"os.posix_spawnp": {apiProcess}, "os.fork": {apiProcess}, "os.kill": {apiProcess},
	"open": {apiFile}, "io.open": {apiFile}, "codecs.open": {apiFile}, "os.open": {apiFile}, "file": {apiFile},
	"os.remove": {apiFile}, "os.unlink": {apiFile}, "os.rename": {apiFile}, "os.replace": {apiFile},
	"os.chmod": {apiFile}, "os.chown": {apiFile}, "os.mkdir": {apiFile}, "os.makedirs": {apiFile},
	"os.rmdir": {apiFile}, "os.removedirs": {apiFile}, "os.walk": {apiFile}, "os.listdir": {apiFile},
	"os.scandir": {apiFile}, "os.write": {apiFile}, "os.read": {apiFile},
	"codecs.decode": {apiDecode}, "codecs.encode": {apiDecode}, "gzip.decompress": {apiDecode},
	"pickle.loads": {apiDecode}, "pickle.load": {apiDecode}, "bytes.fromhex": {apiDecode},
	"os.getenv": {apiEnv}, "os.getlogin": {apiEnv}, "os.uname": {apiEnv}, "os.getuid": {apiEnv},
	"os.getcwd": {apiEnv}, "os.getpid": {apiEnv}, "os.cpu_count": {apiEnv},
	"socket.gethostname": {apiNetwork, apiEnv}, "socket.gethostbyname": {apiNetwork, apiEnv},
	"uuid.getnode": {apiEnv}, "sys.getwindowsversion": {apiEnv},
}

// attrFamilies: calls matched by their last attribute, whatever the object
// (the paper's risky APIs include connect and read on any object).
var attrFamilies = map[string][]apiFamily{
	"connect": {apiNetwork}, "urlopen": {apiNetwork}, "urlretrieve": {apiNetwork}, "sendall": {apiNetwork},
	"read": {apiFile}, "readlines": {apiFile}, "write": {apiFile}, "writelines": {apiFile},
	"read_text": {apiFile}, "write_text": {apiFile}, "read_bytes": {apiFile}, "write_bytes": {apiFile},
	"fromhex": {apiDecode}, "decrypt": {apiDecode}, "b64decode": {apiDecode}, "decompress": {apiDecode},
	"windll": {apiNative},
}

// callFamilies returns the families of a resolved call name.
func callFamilies(name, attr string) []apiFamily {
	if fams, ok := exactFamilies[name]; ok {
		return fams
	}
	if strings.HasPrefix(name, "os.exec") || strings.HasPrefix(name, "os.spawn") {
		return []apiFamily{apiProcess}
	}
	if strings.HasPrefix(name, "os.environ") {
		return []apiFamily{apiEnv}
	}
	if strings.Contains(name, "windll") || strings.Contains(name, "kernel32") {
		return []apiFamily{apiNative}
	}
	// Longest module prefix first: "http.client.X" before "http".
	for n := name; n != ""; {
		if fams, ok := prefixFamilies[n]; ok {
			return fams
		}
		i := strings.LastIndexByte(n, '.')
		if i < 0 {
			break
		}
		n = n[:i]
	}
	if fams, ok := attrFamilies[attr]; ok {
		return fams
	}
	return nil
}
