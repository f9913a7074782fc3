package core

// The words of the pages wxlogin renders, one table per language, keyed
// by message id. Options.Messages extends or replaces them; see
// DefaultMessages.

// messagesZhCN are the Simplified Chinese words.
var messagesZhCN = map[string]string{
	"title.login_failed":       "登录失败",
	"title.login_cancelled":    "登录已取消",
	"title.login_required":     "需要登录",
	"title.method_not_allowed": "不支持的请求方式",
	"title.server_error":       "服务器错误",
	"title.unavailable":        "暂时无法使用",
	"title.no_user_token":      "没有微信访问令牌",
	"title.not_found":          "未找到",

	"message.state_expired":      "登录用时过长，请重新开始。",
	"message.state_invalid":      "此登录链接在当前浏览器中无效，或已被使用，请重新开始。",
	"message.code_invalid":       "微信没有接受这次登录，它可能已经过期，请重新开始。",
	"message.declined":           "你在微信中拒绝了登录。",
	"message.rejected":           "此微信账号不能在本站登录。",
	"message.snapshot_user":      "请在微信中打开此页面并登录。",
	"message.login_required":     "请使用微信登录。",
	"message.method_not_allowed": "请使用“退出登录”按钮退出。",
	"message.no_session":         "本站配置有误，站点日志中写明了修复方法。",
	"message.session_store":      "本站暂时无法连接会话存储，请稍后再试。",
	"message.upstream_timeout":   "微信没有及时响应，请重试。",
	"message.upstream":           "微信未能完成这次登录，请稍后再试。",
	"message.internal":           "登录时出了点问题。",
	"message.identity_conflict":  "这个微信账号与它在本站关联的账号不一致，请联系本站。",
	"message.link_store":         "本站暂时无法连接账号存储，请稍后再试。",
	"message.config":             "本站的微信配置需要修正，站点日志中写明了方法，请稍后再试。",
	"message.bad_request":        "登录请求的格式不正确。",
	"message.user_blocked":       "微信目前不允许这个账号登录。",
	"message.rate_limited":       "现在登录的人太多，请一分钟后再试。",
	"message.no_user_token":      "这次登录（小程序的登录）没有微信用户访问令牌。",
	"message.not_configured":     "本站没有配置这种登录方式。",

	"link.login_again": "重新使用微信登录",
}

// messagesEN are the English words.
var messagesEN = map[string]string{
	"title.login_failed":       "Login failed",
	"title.login_cancelled":    "Login cancelled",
	"title.login_required":     "Login required",
	"title.method_not_allowed": "Method not allowed",
	"title.server_error":       "Server error",
	"title.unavailable":        "Temporarily unavailable",
	"title.no_user_token":      "No WeChat access token",
	"title.not_found":          "Not found",

	"message.state_expired":      "The login took too long. Please start again.",
	"message.state_invalid":      "This login link is not valid in this browser, or was already used. Please start again.",
	"message.code_invalid":       "WeChat did not accept this login; it may have expired. Please start again.",
	"message.declined":           "You declined the login in WeChat.",
	"message.rejected":           "This WeChat account may not log in here.",
	"message.snapshot_user":      "Please open the page in WeChat and log in there.",
	"message.login_required":     "Please log in with WeChat.",
	"message.method_not_allowed": "Log out with the logout button.",
	"message.no_session":         "This site is misconfigured; its log says how to fix it.",
	"message.session_store":      "The site cannot reach its session store. Please try again in a moment.",
	"message.upstream_timeout":   "WeChat did not answer in time. Please try again.",
	"message.upstream":           "WeChat could not complete the login. Please try again later.",
	"message.internal":           "Something went wrong while logging you in.",
	"message.identity_conflict":  "This WeChat account does not match the account it is linked to here. Please contact the site.",
	"message.link_store":         "The site cannot reach its account store. Please try again in a moment.",
	"message.config":             "This site's WeChat configuration needs fixing; its log says how. Please try again later.",
	"message.bad_request":        "The login request is malformed.",
	"message.user_blocked":       "WeChat does not allow this account to log in now.",
	"message.rate_limited":       "Too many logins right now. Please try again in a minute.",
	"message.no_user_token":      "This login (a mini program's) has no WeChat user access token.",
	"message.not_configured":     "This login is not configured here.",

	"link.login_again": "Log in with WeChat again",
}
