# 挂件的简体中文界面。
launcher-open = 打开聊天
launcher-close = 关闭聊天
header-reply-time = 我们通常在一分钟内回复
message-log = 对话
composer-label = 消息
composer-placeholder = 输入消息…
send = 发送
status-sending = 发送中…
status-sent = 已发送
status-seen = 已读
status-failed = 发送失败，点击重试
banner-reconnecting = 连接已断开，正在重新连接…
author-bot = 机器人
author-agent = 客服
author-you = 我
empty-greeting = 您好！关于尺码、配送或退货，欢迎随时咨询。
